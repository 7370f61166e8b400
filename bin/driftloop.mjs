#!/usr/bin/env node
// Runs the TypeScript CLI through tsx: driftloop ships as source, no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
const code = await main(process.argv);
// Something in the dependency tree resets process.exitCode, so exit explicitly once output is flushed.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
