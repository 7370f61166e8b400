/** `driftloop migrate`: apply (or roll back) the versioned schema migrations. */
import { InvalidArgumentError, type Command } from 'commander';
import { commandContext, openDatabase, requireDatabaseUrl } from '../context';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending schema migrations to DATABASE_URL')
    .option('--down <count>', 'roll back this many migrations instead', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
      return n;
    })
    .addHelpText('after', '\nExamples:\n  $ driftloop migrate\n  $ driftloop migrate --down 1')
    .action(async (opts: { down?: number }) => {
      const { config } = commandContext();
      const url = requireDatabaseUrl(config);
      const db = await openDatabase(url);
      await db.end();
      const { migrate } = await import('../../store/migrate');
      const names = await migrate(url, opts.down ? { direction: 'down', count: opts.down } : {});
      process.stdout.write(
        names.length ? `${opts.down ? 'rolled back' : 'applied'}: ${names.join(', ')}\n` : 'schema is up to date\n',
      );
    });
}
