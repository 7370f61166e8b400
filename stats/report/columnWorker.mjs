// Entry of a stats worker thread: driftloop ships as TypeScript source, so the thread registers tsx
// (as bin/driftloop.mjs does) before loading columnWorker.ts.
import { register } from 'tsx/esm/api';

register();
await import('./columnWorker.ts');
