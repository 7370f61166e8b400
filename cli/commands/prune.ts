/** `driftloop prune --older-than 30d`: retention for the prediction log (drops whole daily partitions). */
import type { Command } from 'commander';
import { prunePredictions } from '../../store/predictions';
import { commandContext, openDatabase, requireDatabaseUrl } from '../context';
import { CliError, EXIT } from '../errors';

export function parseDays(value: string): number {
  const m = /^(\d+)d?$/.exec(value.trim());
  if (!m) throw new CliError(`--older-than ${value}: give days, e.g. --older-than 30d`, EXIT.usage);
  return Number(m[1]);
}

export function registerPrune(program: Command): void {
  program
    .command('prune')
    .description('drop prediction partitions older than a number of days')
    .requiredOption('--older-than <days>', 'e.g. 30d')
    .addHelpText('after', '\nExample:\n  $ driftloop prune --older-than 30d')
    .action(async (opts: { olderThan: string }) => {
      const days = parseDays(opts.olderThan);
      const { config } = commandContext();
      const db = await openDatabase(requireDatabaseUrl(config));
      try {
        const r = await prunePredictions(db, days);
        process.stdout.write(
          `dropped ${r.dropped.length} partition(s)${r.dropped.length ? ` (${r.dropped.map((d) => d.day).join(', ')})` : ''}; ` +
            `${r.defaultRowsDeleted} stray row(s) deleted\n`,
        );
      } finally {
        await db.end();
      }
    });
}
