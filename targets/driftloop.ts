/**
 * driftloop's own prediction servers. The registry row that the stage change wrote is the deployment:
 * every `driftloop serve` LISTENs and hot-swaps on its NOTIFY, so there is nothing further to send;
 * the receipt records which versions the servers now route to.
 */
import type { TargetOf } from './types';

export const driftloopTarget: TargetOf<'driftloop'> = {
  type: 'driftloop',
  describe: () => 'driftloop prediction servers (hot-swap on the stage NOTIFY)',
  async apply(_config, state) {
    return {
      production: state.production?.version ?? null,
      canary: state.canary ? { version: state.canary.version, share: state.canary.share } : null,
      shadow: state.shadow?.version ?? null,
    };
  },
};
