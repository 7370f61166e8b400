/** The `driftloop` command. Each subcommand lives in cli/commands/; errors become one line and an exit code. */
import { Command, CommanderError } from 'commander';
import { registerMigrate } from './commands/migrate';
import { registerModel } from './commands/model';
import { registerMonitor } from './commands/monitor';
import { registerRetrain } from './commands/retrain';
import { registerServe } from './commands/serve';
import { registerReport } from './commands/report';
import { registerPrune } from './commands/prune';
import { registerPredict } from './commands/predict';
import { registerIngest } from './commands/ingest';
import { registerDemo } from './commands/demo';
import { registerUp } from './commands/up';
import { registerWorker } from './commands/worker';
import { describe, exitCodeFor, EXIT } from './errors';

export function buildProgram(): Command {
  const program = new Command('driftloop')
    .description(
      'keeps machine-learning models healthy in production: serve, log, detect drift, alert, retrain, deploy, roll back',
    )
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
Configuration comes from environment variables (DATABASE_URL, TEMPORAL_ADDRESS, ...) or a file named by DRIFTLOOP_CONFIG; see README.md.
Exit codes: 0 ok, 1 failed, 2 bad usage or configuration, 3 PostgreSQL or Temporal unreachable, 4 not found.`,
    );
  registerUp(program);
  registerWorker(program);
  registerMigrate(program);
  registerModel(program);
  registerServe(program);
  registerMonitor(program);
  registerRetrain(program);
  registerReport(program);
  registerPrune(program);
  registerPredict(program);
  registerIngest(program);
  registerDemo(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed usage errors and help.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(`driftloop: ${describe(err)}\n`);
    if (process.env.DRIFTLOOP_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    return exitCodeFor(err);
  }
}
