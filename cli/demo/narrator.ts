/**
 * The narration: every lifecycle event of the model, read back from PostgreSQL once as it happens
 * (monitor runs, incidents, retrains, deployments), and every alert the on-call webhook received.
 * The loans demo's narrator also notes the milestones its summary reports.
 */
import type { Db } from '../../store/db';
import { modelTimeline, type TimelineEvent } from '../../store/timeline';
import type { AlertReceiver } from './session';

/** Polls the model's timeline and hands each event to `onEvent` once. */
export class TimelineReader {
  private readonly seen = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly model: string,
    private readonly since: Date,
    private readonly onEvent: (e: TimelineEvent) => void,
  ) {}

  async poll(): Promise<void> {
    for (const e of await modelTimeline(this.db, this.model, this.since)) {
      if (this.seen.has(e.key)) continue;
      this.seen.add(e.key);
      this.onEvent(e);
    }
  }
}

export interface LoansMilestones {
  detection: string | null;
  detectedFeatures: string[];
  alert: string | null;
  retrainStarted: string | null;
  alertResolved: string | null;
}

export class LoansNarrator {
  readonly milestones: LoansMilestones = {
    detection: null,
    detectedFeatures: [],
    alert: null,
    retrainStarted: null,
    alertResolved: null,
  };
  /** When the covariate shift began (epoch ms; 0 before): detection and alerts count from it. */
  driftOnset = 0;
  private alertsSeen = 0;
  private readonly timeline: TimelineReader;

  constructor(
    db: Db,
    model: string,
    private readonly receiver: AlertReceiver,
    private readonly say: (line: string) => void,
    private readonly elapsed: (at?: number | Date) => string,
    /** When the traffic first met a new version in production (null before). */
    private readonly newVersionAt: () => number | null,
    since: Date,
  ) {
    this.timeline = new TimelineReader(db, model, since, (e) => this.narrate(e));
  }

  async poll(): Promise<void> {
    await this.timeline.poll();
    const m = this.milestones;
    for (; this.alertsSeen < this.receiver.received.length; this.alertsSeen++) {
      const a = this.receiver.received[this.alertsSeen];
      const type = a.body?.type ?? 'unreadable body';
      this.say(
        `${this.elapsed(a.at)}  ALERT received by the on-call webhook (${a.signed ? 'signature verified' : 'BAD SIGNATURE'}): ${type} — ` +
          `${a.body?.incident.summary ?? ''}${a.body?.incident.nextText ? ` Next: ${a.body.incident.nextText}` : ''}`,
      );
      if (this.driftOnset && a.at.getTime() >= this.driftOnset && type === 'incident.triggered')
        m.alert ??= a.at.toISOString();
    }
  }

  private narrate(e: TimelineEvent): void {
    const t = this.elapsed(e.at);
    const m = this.milestones;
    if (e.kind === 'monitor') {
      const perf = describePerformance(e.performance, e.estimated);
      const detail =
        e.status === 'insufficient_data'
          ? `too few rows (${e.rows}), not judged`
          : `${e.rows} rows sampled, ${e.labeled} labeled${e.drifted.length ? `; drifted: ${e.drifted.join(', ')}` : ''}${perf}`;
      this.say(`${t}  monitor run #${e.runId} on v${e.version}: ${e.status.toUpperCase()} — ${detail}`);
      // Detection: the first judged window after the onset that names drifted features.
      if (
        (e.status === 'drift' || e.status === 'performance_decay') &&
        e.drifted.length > 0 &&
        this.driftOnset &&
        !m.detection &&
        e.at.getTime() >= this.driftOnset
      ) {
        m.detection = e.at.toISOString();
        m.detectedFeatures = e.drifted;
      }
    } else if (e.kind === 'incident') {
      this.say(`${t}  incident ${e.status === 'firing' ? 'OPENED' : 'RESOLVED'} (${e.incidentKind}): ${e.summary}`);
      if (e.status === 'resolved' && this.newVersionAt()) m.alertResolved ??= e.at.toISOString();
    } else if (e.kind === 'retrain') {
      if (e.status === 'running') {
        this.say(`${t}  retrain started: workflow ${e.workflowId} (champion v${e.champion ?? '?'})`);
        if (this.driftOnset && e.at.getTime() >= this.driftOnset) m.retrainStarted ??= e.at.toISOString();
      } else {
        this.say(
          `${t}  retrain ${e.status.toUpperCase()}: challenger v${e.challenger ?? '-'} ${JSON.stringify(e.challengerMetrics ?? {})} vs champion v${e.champion ?? '-'} ${JSON.stringify(e.championMetrics ?? {})}${e.reason ? ` — ${e.reason}` : ''}`,
        );
      }
    } else if (e.kind === 'deployment' && e.action !== 'register') {
      this.say(
        `${t}  deployment: v${e.version} ${e.from ?? '-'} → ${e.to} (${e.action})${e.reason ? ` — ${e.reason}` : ''}`,
      );
    }
  }
}

function describePerformance(realized: unknown, estimated: unknown): string {
  const r = realized as { metric?: string; value?: number } | null;
  if (r && typeof r.value === 'number') return `; ${r.metric ?? 'metric'} ${(r.value * 100).toFixed(1)}% on labels`;
  const e = estimated as { accuracy?: { value?: number } | number } | null;
  const acc = e && (typeof e.accuracy === 'number' ? e.accuracy : e.accuracy?.value);
  return typeof acc === 'number' ? `; estimated accuracy ${(acc * 100).toFixed(1)}% (no labels yet)` : '';
}
