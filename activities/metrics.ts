/**
 * driftloop's own series on the worker's Prometheus endpoint (the Temporal runtime's exporter,
 * `DRIFTLOOP_WORKER_METRICS_PORT`): counters emitted through the activity's metric meter, so they
 * sit next to Temporal's own worker metrics with no second HTTP server. Counted where the fact is
 * recorded, per worker process (sum over workers); an activity attempt retried after it recorded
 * its fact counts it again.
 */
import { Context } from '@temporalio/activity';

export const DRIFTLOOP_COUNTERS = {
  /** Monitoring rounds by status (ok, drift, performance_decay, insufficient_data, error). */
  driftRounds: ['driftloop_drift_rounds', 'Monitoring rounds recorded, by model and status'],
  /** Per-feature drift verdicts of judged rounds (drifted or not). */
  driftVerdicts: ['driftloop_drift_verdicts', 'Per-feature drift verdicts of judged rounds, by model and verdict'],
  /** Retrains finished, by outcome (deployed, rejected, rolled_back, disabled, failed). */
  retrains: ['driftloop_retrains', 'Retrains finished, by model and outcome'],
  /** Alert delivery attempts, by sink and resulting status. */
  alertDeliveries: ['driftloop_alert_deliveries', 'Alert delivery attempts, by sink and resulting status'],
} as const;

export type DriftloopCounter = keyof typeof DRIFTLOOP_COUNTERS;

/** Adds `value` to a driftloop counter; outside an activity (a direct call in a script) there is no meter. */
export function countActivityMetric(counter: DriftloopCounter, tags: Record<string, string>, value = 1): void {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return;
  }
  const [name, description] = DRIFTLOOP_COUNTERS[counter];
  context.metricMeter.createCounter(name, '1', description).add(value, tags);
}
