/** `driftloop model list|show|register`: the model registry from the command line. */
import type { Command } from 'commander';
import { getModel, listModels, listModelVersions } from '../../store/models';
import { commandContext, openDatabase, requireDatabaseUrl } from '../context';
import { printTable } from '../table';

export function registerModel(program: Command): Command {
  const model = program.command('model').description('register, list and inspect models');

  model
    .command('register <name>')
    .description(
      'register a model trained elsewhere: validates the ONNX file, stores the reference data and its profile, makes it the production version',
    )
    .requiredOption('--onnx <file>', 'the model graph (inputs per onnx/contract.ts)')
    .requiredOption(
      '--schema <file>',
      'JSON or YAML: {task, features: [{name, type, ...}], target: {name, classes?}, policy?}',
    )
    .requiredOption('--reference <file.csv>', 'the training data: one column per feature plus the target column')
    .addHelpText(
      'after',
      `
Example:
  $ driftloop model register loans --onnx loans.onnx --schema loans.schema.json --reference train.csv`,
    )
    .action(async (name: string, opts: { onnx: string; schema: string; reference: string }) => {
      const { config } = commandContext();
      const db = await openDatabase(requireDatabaseUrl(config));
      try {
        const { registerModelFromFiles } = await import('../../registration/registerModelFromFiles');
        const summary = await registerModelFromFiles(db, {
          name,
          onnxPath: opts.onnx,
          schemaPath: opts.schema,
          referencePath: opts.reference,
        });
        process.stdout.write(summary.lines.join('\n') + '\n');
      } finally {
        await db.end();
      }
    });

  model
    .command('list')
    .description('every registered model with its production version')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  $ driftloop model list\n  $ driftloop model list --json')
    .action(async (opts: { json?: boolean }) => {
      const { config } = commandContext();
      const db = await openDatabase(requireDatabaseUrl(config));
      try {
        const models = await listModels(db);
        const rows = [];
        for (const m of models) {
          const versions = await listModelVersions(db, m.name);
          const production = versions.find((v) => v.stage === 'production');
          rows.push({
            model: m.name,
            task: m.task,
            features: m.features.length,
            versions: versions.length,
            production: production?.version ?? null,
            monitorEveryMinutes: m.policy.monitor.intervalMinutes,
          });
        }
        if (opts.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        else if (rows.length === 0)
          process.stdout.write('no models registered (see: driftloop model register --help)\n');
        else printTable(rows);
      } finally {
        await db.end();
      }
    });

  model
    .command('show <name>')
    .description('a model: schema, policy and versions with their stages and metrics')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  $ driftloop model show loans\n  $ driftloop model show loans --json')
    .action(async (name: string, opts: { json?: boolean }) => {
      const { config } = commandContext();
      const db = await openDatabase(requireDatabaseUrl(config));
      try {
        const m = await getModel(db, name);
        const versions = await listModelVersions(db, name);
        const summary = versions.map((v) => ({
          version: v.version,
          stage: v.stage,
          trainer: v.trainer,
          created: v.createdAt.toISOString(),
          metrics: Object.entries(v.metrics)
            .map(([k, x]) => `${k}=${typeof x === 'number' ? formatMetric(x) : String(x)}`)
            .join(' '),
          reason: v.stageReason ?? '',
        }));
        if (opts.json) {
          process.stdout.write(JSON.stringify({ ...m, versions: summary }, null, 2) + '\n');
          return;
        }
        process.stdout.write(
          `${m.name} (${m.task}) — target ${m.target.name}${m.target.classes ? ` [${m.target.classes.join(', ')}]` : ''}\n`,
        );
        process.stdout.write(`features: ${m.features.map((f) => `${f.name}:${f.type}`).join(', ')}\n`);
        process.stdout.write(
          `monitoring every ${m.policy.monitor.intervalMinutes} min; retrain ${m.policy.retrain.enabled ? `with ${m.policy.retrain.trainer.type === 'builtin' ? m.policy.retrain.trainer.algorithm : 'an external command'}` : 'off'}\n\n`,
        );
        if (summary.length) printTable(summary);
        else process.stdout.write('no versions yet\n');
      } finally {
        await db.end();
      }
    });
  return model;
}

/** A metric as people read it: counts and settings as integers (trees=2500), measures in 4 significant digits. */
export function formatMetric(x: number): string {
  if (Number.isInteger(x)) return String(x);
  if (!Number.isFinite(x)) return String(x);
  return String(Number(x.toPrecision(4)));
}
