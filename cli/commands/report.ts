/** `driftloop report <model>`: the latest drift report as a table (features sorted by drift) or JSON. */
import type { Command } from 'commander';
import type { DriftResultRow } from '../../store/driftRuns';
import { latestJudgedRunId, latestReport, type LatestReport } from '../../store/reports';
import { commandContext, openDatabase, requireDatabaseUrl } from '../context';
import { CliError, EXIT } from '../errors';
import { formatTable } from '../table';

/** Most drifted first: drifted before stable, then by how far past its threshold the result is. */
export function driftOrder(a: DriftResultRow, b: DriftResultRow): number {
  if (a.drifted !== b.drifted) return a.drifted ? -1 : 1;
  if (a.flagged !== b.flagged) return a.flagged ? -1 : 1;
  return severity(b) - severity(a);
}

function severity(r: DriftResultRow): number {
  const p = r.adjustedPvalue ?? r.pvalue;
  if (p !== null) return -Math.log10(Math.max(p, 1e-300));
  if (r.statistic !== null && r.threshold) return r.statistic / r.threshold;
  return 0;
}

const fmt = (v: number | null, digits = 4) =>
  v === null ? '-' : Math.abs(v) !== 0 && Math.abs(v) < 10 ** -digits ? v.toExponential(2) : v.toFixed(digits);

export function formatReport(report: LatestReport): string {
  const header = [
    `${report.model} v${report.version} — ${report.status.toUpperCase()}` +
      (report.driftScore === null ? '' : ` (drift score ${report.driftScore.toFixed(3)})`),
    `window ${report.windowStart.toISOString()} → ${report.windowEnd.toISOString()}: ${report.rowsInWindow} rows, ${report.rowsSampled} sampled, ${report.labeledRows} labeled`,
    `${report.driftedFeatures} of ${report.totalFeatures} features drifted${report.predictionDrift ? '; prediction drifted' : ''}`,
  ];
  const rows = [...report.results].sort(driftOrder).map((r) => ({
    feature: r.kind === 'feature' ? r.feature : `${r.feature} (${r.kind})`,
    test: r.test,
    statistic: fmt(r.statistic),
    'p-value': fmt(r.pvalue),
    adjusted: fmt(r.adjustedPvalue),
    threshold: fmt(r.threshold),
    effect: fmt(r.effectSize, 3),
    verdict: r.drifted ? 'DRIFT' : r.flagged ? 'flagged' : 'ok',
  }));
  const perf = report.performance ?? report.estimatedPerformance;
  const flagged = report.results.filter((r) => r.flagged && !r.drifted).length;
  const note = flagged
    ? [`${flagged} flagged: significant and large in this window; drift once the policy's persistence is met`]
    : [];
  const footer = perf
    ? [`performance${report.performance ? '' : ' (estimated, no labels yet)'}: ${JSON.stringify(perf)}`]
    : [];
  return [...header, '', formatTable(rows), ...note, ...footer].join('\n') + '\n';
}

export function registerReport(program: Command): void {
  program
    .command('report <model>')
    .description("the model's latest drift report: every feature, its test, statistic, p-value and verdict")
    .option('--json', 'print JSON for machines')
    .option('--run <id>', 'a given monitoring run instead of the latest', (v) => Number(v))
    .addHelpText('after', '\nExamples:\n  $ driftloop report loans\n  $ driftloop report loans --json | jq .results')
    .action(async (model: string, opts: { json?: boolean; run?: number }) => {
      const { config } = commandContext();
      const db = await openDatabase(requireDatabaseUrl(config));
      try {
        let report = await latestReport(db, model, opts.run);
        let preface = '';
        // Right after a promotion (or when traffic stops) the newest round is not judged and has no
        // table: show the newest judged one, and say so.
        if (report && report.results.length === 0 && opts.run === undefined) {
          const judged = await latestJudgedRunId(db, model);
          if (judged !== null) {
            preface = `latest round: run ${report.runId} on v${report.version}, ${report.status} (${report.rowsInWindow} rows in its window), not judged; below is the latest judged run, ${judged}\n\n`;
            report = await latestReport(db, model, judged);
          }
        }
        if (!report) {
          throw new CliError(
            `model ${model} has no monitoring runs yet (driftloop monitor enable ${model}, or driftloop monitor trigger ${model})`,
            EXIT.notFound,
          );
        }
        if (opts.json) {
          report.results.sort(driftOrder);
          process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        } else process.stdout.write(preface + formatReport(report));
      } finally {
        await db.end();
      }
    });
}
