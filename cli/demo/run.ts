/**
 * `driftloop demo`: the whole loop on this machine in a few minutes. Embedded PostgreSQL, a local
 * Temporal dev server with UI, a worker, the prediction server and a local alert receiver; a
 * seeded loan-default world (cli/demo/scenario.ts) sends traffic through the real HTTP API and
 * late labels; monitoring runs every 15 s. The narration is read back from PostgreSQL.
 * Set-up is cli/demo/session.ts, traffic and labels cli/demo/traffic.ts, the narration
 * cli/demo/narrator.ts; this file runs the phases and sums up.
 */
import type { DriftloopConfig } from '../../config/index';
import type { Logger } from '../../config/logger';
import { disableMonitor, enableMonitor } from '../../control/index';
import { startServer } from '../../serving/index';
import { listModelVersions } from '../../store/models';
import { freePort } from '../dev/temporal';
import { LoansNarrator } from './narrator';
import { prepareDemo } from './session';
import { DemoTraffic, type ServedPrediction } from './traffic';
import { registerDemoModel, DEMO_MODEL } from './model';
import { sampleLabeled, seededRandom, type LabeledApplication, type Phase } from './scenario';

export interface DemoOptions {
  seed: number;
  /** Seconds of each phase before the next begins. */
  referenceSeconds: number;
  covariateSeconds: number;
  /** The demo gives up (exit 1) after this many seconds. */
  timeoutSeconds: number;
  /** Seconds between a prediction and its label arriving. */
  labelDelaySeconds: number;
  say: (line: string) => void;
}

export interface DemoSummary {
  model: string;
  temporalUiUrl: string | null;
  predictionServer: string;
  metricsUrl: string;
  startedAt: string;
  driftOnset: string;
  conceptChange: string;
  detection: string | null;
  detectedFeatures: string[];
  alert: string | null;
  retrainStarted: string | null;
  newVersionServing: string | null;
  alertResolved: string | null;
  accuracyBefore: number | null;
  accuracyAfter: number | null;
  versions: Array<{ version: number; stage: string; trainer: string; metrics: Record<string, number> }>;
  requests: number;
  failedRequests: number;
  predictions: number;
  labels: number;
  alertsReceived: number;
  finishedAt: string;
  recovered: boolean;
}

interface ServedRow extends ServedPrediction {
  prediction: string;
  truth: 'yes' | 'no';
  phase: Phase;
}

interface LoansBatch {
  phase: Phase;
  applications: LabeledApplication[];
}

function fmtAccuracy(v: number | null): string {
  return v === null ? '-' : `${(v * 100).toFixed(1)}%`;
}

function accuracy(rows: ServedRow[]): number | null {
  if (rows.length === 0) return null;
  let correct = 0;
  for (const r of rows) if (r.prediction === r.truth) correct++;
  return correct / rows.length;
}

export async function runDemo(baseConfig: DriftloopConfig, logger: Logger, options: DemoOptions): Promise<DemoSummary> {
  const say = options.say;
  const session = await prepareDemo(baseConfig, { folder: 'demo', metricsPort: 'default' });
  const { config, receiver, started, elapsed } = session;
  say(`${elapsed()}  starting embedded PostgreSQL, the Temporal dev server (with UI) and a worker…`);
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let traffic: DemoTraffic<LoansBatch, ServedRow> | undefined;
  try {
    const { stack, ctx } = await session.startStack(logger);
    const { db } = stack;
    say(`${elapsed()}  Temporal UI: ${stack.temporalUiUrl} (workflows appear under ModelName = '${DEMO_MODEL}')`);
    say(`${elapsed()}  worker metrics: http://127.0.0.1:${config.workerMetricsPort}/metrics`);

    const rand = seededRandom(options.seed);
    say(`${elapsed()}  training version 1 on 4,000 loans from the reference period (built-in logistic regression)…`);
    const v1 = await registerDemoModel(db, sampleLabeled(rand, 'reference', 4_000));
    say(`${elapsed()}  registered ${DEMO_MODEL} v1 in production: holdout accuracy ${fmtAccuracy(v1.accuracy)}`);

    server = await startServer({ config: stack.config, db, logger, port: await freePort() });
    say(`${elapsed()}  prediction server: ${server.url} (POST /v1/models/${DEMO_MODEL}/predict, /metrics)`);
    const serverUrl = server.url;

    const monitor = await enableMonitor(ctx, DEMO_MODEL, { intervalMinutes: 0.25 });
    say(
      `${elapsed()}  monitoring enabled: Temporal Schedule ${monitor.scheduleId}, every 15 s (accelerated; production default is 10 min)`,
    );

    // Traffic: 10 requests/s of 20 loan applications each, the truth posted as a late label.
    let phase: Phase = 'reference';
    const loans = new DemoTraffic<LoansBatch, ServedRow>({
      serverUrl,
      model: DEMO_MODEL,
      logger,
      periodMs: 100,
      nextBatch: () => ({ phase, applications: sampleLabeled(rand, phase, 20) }),
      instances: (b) => b.applications.map((a) => a.features),
      record: (b, i, served) => ({
        ...served,
        prediction: served.prediction as string,
        truth: b.applications[i].label,
        phase: b.phase,
      }),
      labelDelaySeconds: options.labelDelaySeconds,
      labelOf: (row) => row.truth,
    });
    traffic = loans;
    const narrator = new LoansNarrator(
      db,
      DEMO_MODEL,
      receiver,
      say,
      elapsed,
      () => loans.firstNewVersionAt,
      new Date(started),
    );

    const deadline = started + options.timeoutSeconds * 1_000;
    const phaseStart = Date.now();
    let conceptAt = 0;
    let recovered = false;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      const t = (Date.now() - phaseStart) / 1000;
      if (phase === 'reference' && t >= options.referenceSeconds) {
        phase = 'covariate';
        narrator.driftOnset = Date.now();
        say(
          `${elapsed()}  >>> COVARIATE SHIFT: applicants change (lower credit scores, larger loans, more contract work); the default rule does not`,
        );
      } else if (phase === 'covariate' && t >= options.referenceSeconds + options.covariateSeconds) {
        phase = 'concept';
        conceptAt = Date.now();
        say(
          `${elapsed()}  >>> CONCEPT CHANGE: rates rise; loan size now drives default and contract work is riskier. v1's accuracy will fall`,
        );
      }
      await narrator.poll();
      const newAt = loans.firstNewVersionAt;
      if (phase === 'concept' && newAt !== null) {
        const labeledAfter = loans.served.filter(
          (s, i) => i < loans.labeledUpTo && s.version > 1 && s.sentAt >= newAt && s.phase === 'concept',
        );
        // Recovered: enough labeled traffic on the new version to measure it, and the incident closed
        // by the next monitor round (or 45 s passed without one).
        if (labeledAfter.length >= 400 && (narrator.milestones.alertResolved || Date.now() - newAt > 45_000)) {
          recovered = true;
          break;
        }
      }
    }
    await narrator.poll();
    await loans.stop();
    await disableMonitor(ctx, DEMO_MODEL);

    const { served, firstNewVersionAt } = loans;
    const before = served.filter((s) => s.phase === 'concept' && s.version === 1);
    const after = firstNewVersionAt
      ? served.filter((s) => s.phase === 'concept' && s.version > 1 && s.sentAt >= firstNewVersionAt)
      : [];
    const versions = await listModelVersions(db, DEMO_MODEL);
    const m = narrator.milestones;
    const result: DemoSummary = {
      model: DEMO_MODEL,
      temporalUiUrl: stack.temporalUiUrl ?? null,
      predictionServer: serverUrl,
      metricsUrl: `http://127.0.0.1:${config.workerMetricsPort}/metrics`,
      startedAt: new Date(started).toISOString(),
      driftOnset: new Date(narrator.driftOnset || started).toISOString(),
      conceptChange: new Date(conceptAt || started).toISOString(),
      detection: m.detection,
      detectedFeatures: m.detectedFeatures,
      alert: m.alert,
      retrainStarted: m.retrainStarted,
      newVersionServing: firstNewVersionAt ? new Date(firstNewVersionAt).toISOString() : null,
      alertResolved: m.alertResolved,
      accuracyBefore: accuracy(before),
      accuracyAfter: accuracy(after),
      versions: versions.map((v) => ({
        version: v.version,
        stage: v.stage,
        trainer: v.trainer,
        metrics: v.metrics,
      })),
      requests: loans.requests,
      failedRequests: loans.failedRequests,
      predictions: served.length,
      labels: loans.labeledUpTo,
      alertsReceived: receiver.received.length,
      finishedAt: new Date().toISOString(),
      recovered,
    };
    say('');
    say(
      `accuracy on concept-period traffic: v1 ${fmtAccuracy(result.accuracyBefore)} (${before.length} rows) → v${Math.max(...result.versions.map((v) => v.version))} ${fmtAccuracy(result.accuracyAfter)} (${after.length} rows)`,
    );
    say(
      `${loans.requests} requests (${loans.failedRequests} failed), ${served.length} predictions, ${loans.labeledUpTo} labels, ${receiver.received.length} alerts received`,
    );
    return result;
  } finally {
    await traffic?.stop();
    await server?.close().catch(() => undefined);
    await session.stop();
  }
}
