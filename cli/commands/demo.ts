/** `driftloop demo`: drift, an alert, a retrain and a recovery on this machine in a few minutes. */
import type { Command } from 'commander';
import { createLogger } from '../../config/logger';
import { loadConfig } from '../../config/index';
import { CliError, EXIT } from '../errors';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'run the whole loop on embedded defaults: traffic, covariate shift, concept change, alert, retrain, promotion, recovery',
    )
    .option('--json', 'print a machine-readable summary at the end (narration goes to stderr)')
    .option(
      '--scenario <name>',
      'loans (drift and concept change) or delivery (batch and stream features, traffic surge)',
      'loans',
    )
    .option('--seed <n>', 'seed of the simulated world', (v) => Number(v), 42)
    .option('--timeout <seconds>', 'give up after this long', (v) => Number(v), 290)
    .addHelpText(
      'after',
      `
The demo starts embedded PostgreSQL, a Temporal dev server with its Web UI, a worker, the
prediction server and a local on-call webhook; it stops all of them when it ends.

Examples:
  $ driftloop demo
  $ driftloop demo --json > summary.json
  $ driftloop demo --scenario delivery`,
    )
    .action(async (opts: { json?: boolean; seed: number; timeout: number; scenario: string }) => {
      const config = loadConfig();
      if (opts.scenario !== 'loans' && opts.scenario !== 'delivery') {
        throw new CliError(`--scenario ${opts.scenario}: choose loans or delivery`, EXIT.usage);
      }
      // The narration is the demo's output; the services' own logs stay quiet unless asked for.
      const logger = createLogger(process.env.LOG_LEVEL ?? 'error');
      const out = opts.json ? process.stderr : process.stdout;
      if (opts.scenario === 'delivery') {
        const { runDeliveryDemo } = await import('../demo/delivery');
        const summary = await runDeliveryDemo(config, logger, {
          seed: opts.seed,
          referenceSeconds: 40,
          timeoutSeconds: opts.timeout,
          labelDelaySeconds: 8,
          say: (line) => out.write(line + '\n'),
        });
        if (opts.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        if (!summary.recovered) {
          throw new CliError(
            `the delivery demo did not see a new version recover within ${opts.timeout} s`,
            EXIT.failure,
          );
        }
        return;
      }
      const { runDemo } = await import('../demo/run');
      const summary = await runDemo(config, logger, {
        seed: opts.seed,
        referenceSeconds: 40,
        covariateSeconds: 45,
        timeoutSeconds: opts.timeout,
        labelDelaySeconds: 8,
        say: (line) => out.write(line + '\n'),
      });
      if (opts.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      if (!summary.recovered) {
        throw new CliError(
          `the demo did not see a recovery within ${opts.timeout} s (see the narration above; rerun with LOG_LEVEL=info for service logs)`,
          EXIT.failure,
        );
      }
    });
}
