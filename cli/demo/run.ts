/**
 * `driftloop demo`: the whole loop on this machine in a few minutes. Embedded PostgreSQL, a local
 * Temporal dev server with UI, a worker, the prediction server and a local alert receiver; a
 * seeded loan-default world (cli/demo/scenario.ts) sends traffic through the real HTTP API and
 * late labels; monitoring runs every 15 s. The narration is read back from PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { DriftloopConfig } from '../../config/index';
import type { Logger } from '../../config/logger';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature, type WebhookBody } from '../../alerts/webhook';
import { disableMonitor, enableMonitor } from '../../control/index';
import { startServer } from '../../serving/index';
import { listModelVersions } from '../../store/models';
import { modelTimeline, type TimelineEvent } from '../../store/timeline';
import { freeDevServerPort, freePort, isPortOpen } from '../dev/temporal';
import { startStack, type Stack } from '../stack';
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

interface ServedRow {
  id: string;
  sentAt: number;
  version: number;
  prediction: string;
  truth: 'yes' | 'no';
  phase: Phase;
}

/** A local webhook sink: what on-call would receive, verified against the HMAC signature. */
export async function startAlertReceiver(secret: string) {
  const received: Array<{ at: Date; body: WebhookBody | null; signed: boolean }> = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      let body: WebhookBody | null = null;
      try {
        body = JSON.parse(raw) as WebhookBody;
      } catch {
        /* recorded as unreadable */
      }
      const signed = verifyWebhookSignature(
        secret,
        {
          signature: req.headers[SIGNATURE_HEADER] as string | undefined,
          timestamp: req.headers[TIMESTAMP_HEADER] as string | undefined,
        },
        raw,
      );
      received.push({ at: new Date(), body, signed });
      res.writeHead(200).end('ok');
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
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
  const started = Date.now();
  const elapsed = (at: number | Date = Date.now()) => {
    const ms = (typeof at === 'number' ? at : at.getTime()) - started;
    return `+${(ms / 1000).toFixed(1).padStart(5)}s`;
  };

  const dataDir = resolve(join(baseConfig.dataDir, 'demo'));
  if (!baseConfig.databaseUrl) rmSync(dataDir, { recursive: true, force: true });
  const temporalPort =
    (await isPortOpen(baseConfig.temporalPort)) || (await isPortOpen(baseConfig.temporalPort + 1000))
      ? await freeDevServerPort()
      : baseConfig.temporalPort;
  const secret = randomBytes(16).toString('hex');
  const receiver = await startAlertReceiver(secret);
  const config: DriftloopConfig = {
    ...baseConfig,
    dataDir,
    temporalPort,
    embeddedPostgresPort: await freePort(),
    workerMetricsPort: (await isPortOpen(baseConfig.workerMetricsPort))
      ? await freePort()
      : baseConfig.workerMetricsPort,
    webhookUrl: receiver.url,
    webhookSecret: secret,
  };

  say(`${elapsed()}  starting embedded PostgreSQL, the Temporal dev server (with UI) and a worker…`);
  let stack: Stack | undefined;
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  const stopTasks: Array<() => void> = [];
  try {
    stack = await startStack({ config, logger, ui: true, persistTemporal: false, anyTemporalPort: true });
    const { db } = stack;
    const ctx = { client: await temporalClient(stack), db, taskQueue: config.taskQueue };
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

    // Traffic: 10 requests/s of 20 loan applications each, through the real HTTP API.
    let phase: Phase = 'reference';
    const served: ServedRow[] = [];
    let requests = 0;
    let failedRequests = 0;
    let firstNewVersionAt: number | null = null;
    let running = true;
    stopTasks.push(() => (running = false));
    const traffic = (async () => {
      while (running) {
        const tick = Date.now();
        const batch: LabeledApplication[] = sampleLabeled(rand, phase, 20);
        try {
          requests++;
          const res = await fetch(`${serverUrl}/v1/models/${DEMO_MODEL}/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ instances: batch.map((b) => b.features) }),
          });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          const body = (await res.json()) as { ids: string[]; version: number; stage: string; predictions: string[] };
          if (body.version > 1 && body.stage === 'production' && firstNewVersionAt === null)
            firstNewVersionAt = Date.now();
          body.ids.forEach((id, i) =>
            served.push({
              id,
              sentAt: tick,
              version: body.version,
              prediction: body.predictions[i],
              truth: batch[i].label,
              phase,
            }),
          );
        } catch (err) {
          failedRequests++;
          logger.warn({ err }, 'demo request failed');
        }
        await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - tick))));
      }
    })();

    // Labels arrive late: ground truth for each prediction `labelDelaySeconds` after it was served.
    let labeledUpTo = 0;
    const labels = (async () => {
      while (running) {
        await new Promise((r) => setTimeout(r, 1_000));
        const due = Date.now() - options.labelDelaySeconds * 1_000;
        let end = labeledUpTo;
        while (end < served.length && served[end].sentAt <= due) end++;
        if (end === labeledUpTo) continue;
        const slice = served.slice(labeledUpTo, end);
        const res = await fetch(`${serverUrl}/v1/models/${DEMO_MODEL}/labels`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(slice.map((s) => ({ id: s.id, label: s.truth }))),
        }).catch((err: Error) => ({ ok: false, status: 0, statusText: err.message }) as Response);
        if (res.ok) labeledUpTo = end;
        else logger.warn({ status: res.status }, 'demo labels rejected');
      }
    })();

    // Narration: every lifecycle event from PostgreSQL, once, as it happens.
    const seen = new Set<string>();
    const summary: Partial<DemoSummary> = { detectedFeatures: [] };
    const sinceDate = new Date(started);
    let driftOnset = 0;
    let conceptAt = 0;
    const narrate = (e: TimelineEvent) => {
      const t = elapsed(e.at);
      if (e.kind === 'monitor') {
        const perf = describePerformance(e.performance, e.estimated);
        const detail =
          e.status === 'insufficient_data'
            ? `too few rows (${e.rows}), not judged`
            : `${e.rows} rows sampled, ${e.labeled} labeled${e.drifted.length ? `; drifted: ${e.drifted.join(', ')}` : ''}${perf}`;
        say(`${t}  monitor run #${e.runId} on v${e.version}: ${e.status.toUpperCase()} — ${detail}`);
        // Detection: the first judged window after the onset that names drifted features.
        if (
          (e.status === 'drift' || e.status === 'performance_decay') &&
          e.drifted.length > 0 &&
          driftOnset &&
          !summary.detection &&
          e.at.getTime() >= driftOnset
        ) {
          summary.detection = e.at.toISOString();
          summary.detectedFeatures = e.drifted;
        }
      } else if (e.kind === 'incident') {
        say(`${t}  incident ${e.status === 'firing' ? 'OPENED' : 'RESOLVED'} (${e.incidentKind}): ${e.summary}`);
        if (e.status === 'resolved' && firstNewVersionAt) summary.alertResolved ??= e.at.toISOString();
      } else if (e.kind === 'retrain') {
        if (e.status === 'running') {
          say(`${t}  retrain started: workflow ${e.workflowId} (champion v${e.champion ?? '?'})`);
          if (driftOnset && e.at.getTime() >= driftOnset) summary.retrainStarted ??= e.at.toISOString();
        } else {
          say(
            `${t}  retrain ${e.status.toUpperCase()}: challenger v${e.challenger ?? '-'} ${JSON.stringify(e.challengerMetrics ?? {})} vs champion v${e.champion ?? '-'} ${JSON.stringify(e.championMetrics ?? {})}${e.reason ? ` — ${e.reason}` : ''}`,
          );
        }
      } else if (e.kind === 'deployment' && e.action !== 'register') {
        say(
          `${t}  deployment: v${e.version} ${e.from ?? '-'} → ${e.to} (${e.action})${e.reason ? ` — ${e.reason}` : ''}`,
        );
      }
    };
    let alertsSeen = 0;
    const poll = async () => {
      for (const e of await modelTimeline(db, DEMO_MODEL, sinceDate)) {
        if (seen.has(e.key)) continue;
        seen.add(e.key);
        narrate(e);
      }
      for (; alertsSeen < receiver.received.length; alertsSeen++) {
        const a = receiver.received[alertsSeen];
        const type = a.body?.type ?? 'unreadable body';
        say(
          `${elapsed(a.at)}  ALERT received by the on-call webhook (${a.signed ? 'signature verified' : 'BAD SIGNATURE'}): ${type} — ` +
            `${a.body?.incident.summary ?? ''}${a.body?.incident.nextText ? ` Next: ${a.body.incident.nextText}` : ''}`,
        );
        if (driftOnset && a.at.getTime() >= driftOnset && type === 'incident.triggered')
          summary.alert ??= a.at.toISOString();
      }
    };

    const deadline = started + options.timeoutSeconds * 1_000;
    const phaseStart = Date.now();
    let recovered = false;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      const t = (Date.now() - phaseStart) / 1000;
      if (phase === 'reference' && t >= options.referenceSeconds) {
        phase = 'covariate';
        driftOnset = Date.now();
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
      await poll();
      if (phase === 'concept' && firstNewVersionAt !== null) {
        const after = served.filter((s) => s.version > 1 && s.sentAt >= firstNewVersionAt! && s.phase === 'concept');
        const labeledAfter = after.filter((s) => served.indexOf(s) < labeledUpTo);
        // Recovered: enough labeled traffic on the new version to measure it, and the incident closed
        // by the next monitor round (or 45 s passed without one).
        if (labeledAfter.length >= 400 && (summary.alertResolved || Date.now() - firstNewVersionAt > 45_000)) {
          recovered = true;
          break;
        }
      }
    }
    await poll();
    running = false;
    await traffic;
    await labels;
    await disableMonitor(ctx, DEMO_MODEL);

    const before = served.filter((s) => s.phase === 'concept' && s.version === 1);
    const after = firstNewVersionAt
      ? served.filter((s) => s.phase === 'concept' && s.version > 1 && s.sentAt >= firstNewVersionAt!)
      : [];
    const versions = await listModelVersions(db, DEMO_MODEL);
    const result: DemoSummary = {
      model: DEMO_MODEL,
      temporalUiUrl: stack.temporalUiUrl ?? null,
      predictionServer: serverUrl,
      metricsUrl: `http://127.0.0.1:${config.workerMetricsPort}/metrics`,
      startedAt: new Date(started).toISOString(),
      driftOnset: new Date(driftOnset || started).toISOString(),
      conceptChange: new Date(conceptAt || started).toISOString(),
      detection: summary.detection ?? null,
      detectedFeatures: summary.detectedFeatures ?? [],
      alert: summary.alert ?? null,
      retrainStarted: summary.retrainStarted ?? null,
      newVersionServing: firstNewVersionAt ? new Date(firstNewVersionAt).toISOString() : null,
      alertResolved: summary.alertResolved ?? null,
      accuracyBefore: accuracy(before),
      accuracyAfter: accuracy(after),
      versions: versions.map((v) => ({
        version: v.version,
        stage: v.stage,
        trainer: v.trainer,
        metrics: v.metrics,
      })),
      requests,
      failedRequests,
      predictions: served.length,
      labels: labeledUpTo,
      alertsReceived: receiver.received.length,
      finishedAt: new Date().toISOString(),
      recovered,
    };
    say('');
    say(
      `accuracy on concept-period traffic: v1 ${fmtAccuracy(result.accuracyBefore)} (${before.length} rows) → v${Math.max(...result.versions.map((v) => v.version))} ${fmtAccuracy(result.accuracyAfter)} (${after.length} rows)`,
    );
    say(
      `${requests} requests (${failedRequests} failed), ${served.length} predictions, ${labeledUpTo} labels, ${receiver.received.length} alerts received`,
    );
    return result;
  } finally {
    for (const stop of stopTasks) stop();
    await server?.close().catch(() => undefined);
    await stack?.stop();
    await receiver.close();
  }
}

function describePerformance(realized: unknown, estimated: unknown): string {
  const r = realized as { metric?: string; value?: number } | null;
  if (r && typeof r.value === 'number') return `; ${r.metric ?? 'metric'} ${(r.value * 100).toFixed(1)}% on labels`;
  const e = estimated as { accuracy?: { value?: number } | number } | null;
  const acc = e && (typeof e.accuracy === 'number' ? e.accuracy : e.accuracy?.value);
  return typeof acc === 'number' ? `; estimated accuracy ${(acc * 100).toFixed(1)}% (no labels yet)` : '';
}

export async function temporalClient(stack: Stack) {
  const { Client, Connection } = await import('@temporalio/client');
  const connection = await Connection.connect({ address: stack.temporalAddress });
  return new Client({ connection, namespace: stack.config.temporalNamespace });
}
