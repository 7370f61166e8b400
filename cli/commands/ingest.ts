/**
 * `driftloop ingest --model NAME --predictions F.csv|F.parquet [--labels F]`: predictions made
 * elsewhere (and their late labels) into the prediction log, with progress. In-process by default;
 * `--workflow` runs it as the resumable Temporal workflow ingestFile (a killed worker resumes at the
 * chunk it was on), which is the way for big files.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { commandContext, connectTemporalClient, openDatabase, requireDatabaseUrl } from '../context';
import { CliError, EXIT } from '../errors';
import { progressBar } from '../progress';

interface IngestOptions {
  model: string;
  predictions?: string;
  labels?: string;
  chunkRows: number;
  workflow?: boolean;
}

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description(
      'import predictions served elsewhere (CSV or Parquet: id, ts, version, the features, prediction, probability_<class>) and their labels (id, label)',
    )
    .requiredOption('--model <name>', 'the model the rows belong to')
    .option('--predictions <file>', 'predictions file (.csv or .parquet)')
    .option('--labels <file>', "labels file (.csv or .parquet) keyed by the predictions file's id column")
    .option('--chunk-rows <n>', 'rows per chunk (one transaction each)', (v) => Number(v), 20_000)
    .option('--workflow', 'run as the resumable Temporal workflow ingestFile (big files)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ driftloop ingest --model loans --predictions scored-2026-12-01.parquet\n' +
        '  $ driftloop ingest --model loans --labels outcomes.csv\n' +
        '  $ driftloop ingest --model loans --predictions big.parquet --labels big-labels.parquet --workflow',
    )
    .action(async (opts: IngestOptions) => {
      if (!opts.predictions && !opts.labels) {
        throw new CliError('give --predictions FILE, --labels FILE or both', EXIT.usage);
      }
      if (!(opts.chunkRows >= 1)) throw new CliError('--chunk-rows must be a positive number', EXIT.usage);
      const { config } = commandContext();
      const { countFileRows, fileKeyOf, formatOf, ingestLabelChunk, ingestPredictionChunk } =
        await import('../../serving/fileIngest');
      const files = [
        ...(opts.predictions ? [['predictions', resolve(opts.predictions)] as const] : []),
        ...(opts.labels ? [['labels', resolve(opts.labels)] as const] : []),
      ];
      const totals: Record<string, number> = {};
      for (const [kind, path] of files) {
        try {
          formatOf(path);
          totals[kind] = await countFileRows(path);
        } catch (err) {
          throw new CliError(`--${kind} ${path}: ${(err as Error).message}`, EXIT.usage);
        }
      }

      if (opts.workflow) {
        const client = await connectTemporalClient(config);
        const { ingestProgressQuery } = await import('../../workflows/ingestFile');
        const id = `ingest-${opts.model}-${createHash('sha256')
          .update(files.map(([, p]) => p).join('\n'))
          .digest('hex')
          .slice(0, 12)}`;
        const handle = await client.workflow
          .start('ingestFile', {
            taskQueue: config.taskQueue,
            workflowId: id,
            args: [
              {
                model: opts.model,
                predictions: files.find(([k]) => k === 'predictions')?.[1],
                labels: files.find(([k]) => k === 'labels')?.[1],
                chunkRows: opts.chunkRows,
              },
            ],
            workflowIdConflictPolicy: 'USE_EXISTING',
          })
          .catch((err: Error) => {
            throw new CliError(`cannot start workflow ${id}: ${err.message}`, EXIT.failure);
          });
        process.stderr.write(`workflow ${id} (a worker runs it; Ctrl-C leaves it running)\n`);
        const bars = new Map<string, ReturnType<typeof progressBar>>();
        const watch = setInterval(() => {
          handle
            .query(ingestProgressQuery)
            .then((p) => {
              if (p.phase === 'done' || p.total === 0) return;
              if (!bars.has(p.phase)) bars.set(p.phase, progressBar(`ingesting ${p.phase}`, p.total));
              bars.get(p.phase)!.update(p.offset);
            })
            .catch(() => undefined);
        }, 1_000);
        try {
          const result = await handle.result();
          process.stdout.write(
            `ingested ${result.predictionRows} prediction rows and ${result.labelRows} labels into ${opts.model} (workflow ${id})\n`,
          );
        } finally {
          clearInterval(watch);
          for (const bar of bars.values()) bar.stop();
          await client.connection.close();
        }
        return;
      }

      const db = await openDatabase(requireDatabaseUrl(config));
      try {
        const done: Record<string, number> = {};
        for (const [kind, path] of files) {
          const fileKey = await fileKeyOf(path);
          const progress = progressBar(
            `ingesting ${kind} ${opts.predictions && kind === 'predictions' ? opts.predictions : opts.labels}`,
            totals[kind],
          );
          let offset = 0;
          try {
            while (offset < totals[kind]) {
              const { rows } =
                kind === 'predictions'
                  ? await ingestPredictionChunk(db, opts.model, path, offset, opts.chunkRows, fileKey)
                  : await ingestLabelChunk(db, opts.model, path, offset, opts.chunkRows);
              if (rows === 0) break;
              offset += rows;
              progress.update(offset);
            }
          } catch (err) {
            throw new CliError(
              `--${kind}: ${(err as Error).message}`,
              (err as Error).name === 'InputError' ? EXIT.usage : EXIT.failure,
            );
          } finally {
            progress.stop();
          }
          done[kind] = offset;
        }
        process.stdout.write(
          `ingested ${done.predictions ?? 0} prediction rows and ${done.labels ?? 0} labels into ${opts.model}\n`,
        );
      } finally {
        await db.end();
      }
    });
}
