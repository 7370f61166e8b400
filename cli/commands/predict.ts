/** `driftloop predict --model NAME --input FILE.csv [--output FILE.csv]`: batch scoring, logged like online traffic. */
import type { Command } from 'commander';
import { commandContext, openDatabase, requireDatabaseUrl } from '../context';
import { CliError, EXIT } from '../errors';
import { progressBar } from '../progress';

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description(
      'score a CSV file with a model (production version unless --version); rows are logged to predictions as batch traffic',
    )
    .requiredOption('--model <name>', 'the model')
    .requiredOption('--input <file.csv>', 'a CSV with a header row naming the features')
    .option('--output <file.csv>', 'write inputs plus prediction_id, prediction, score and class probabilities')
    .option('--version <n>', 'score with this version instead of production', (v) => Number(v))
    .option('--no-log', 'do not log the rows to predictions')
    .addHelpText(
      'after',
      '\nExample:\n  $ driftloop predict --model loans --input applications.csv --output scored.csv',
    )
    .action(async (opts: { model: string; input: string; output?: string; version?: number; log: boolean }) => {
      const { countCsvRows } = await import('../../serving/fileIngest');
      const total = await countCsvRows(opts.input).catch((err: Error) => {
        throw new CliError(`--input ${opts.input}: cannot read it (${err.message})`, EXIT.usage);
      });
      const { config } = commandContext();
      const db = await openDatabase(requireDatabaseUrl(config));
      const progress = progressBar(`scoring ${opts.input}`, total);
      try {
        const { scoreCsv } = await import('../../serving/batchScoring');
        const result = await scoreCsv({
          db,
          model: opts.model,
          version: opts.version,
          input: opts.input,
          output: opts.output,
          log: opts.log,
          onProgress: (p) => progress.update(p.offset),
        });
        progress.update(result.rows);
        progress.stop();
        process.stdout.write(
          `scored ${result.rows} rows with ${result.model} v${result.version}` +
            `${opts.output ? `, wrote ${opts.output}` : ''}; ${result.logged} rows logged to predictions (job ${result.jobId})\n`,
        );
      } finally {
        progress.stop();
        await db.end();
      }
    });
}
