/**
 * The feature-health step of a monitoring round, for models with batch or stream features: opens
 * (or updates) a `skew` incident while served values disagree with the offline recomputation and
 * resolves it when they agree again; stale inputs are returned for the round's data_quality incident.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index';
import type { AlertFinding, AlertKind } from '../alerts/types';
import { notifyIncident, notifyResolved } from './alerting';

const { checkFeatureHealth } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

export interface FeatureRound {
  stale: AlertFinding[];
  facts: Record<string, number | string>;
  alerts: Array<{ kind: AlertKind; action: string }>;
}

export async function monitorFeatures(model: string, window: { start: string; end: string }): Promise<FeatureRound> {
  const health = await checkFeatureHealth({ model, windowStart: window.start, windowEnd: window.end });
  const alerts: FeatureRound['alerts'] = [];
  if (health.skew.length > 0) {
    const worst = health.skew[0];
    const notice = await notifyIncident({
      model,
      kind: 'skew',
      summary: `${model}: train/serve skew in ${health.skew.map((s) => s.feature).join(', ')} (${Math.round((worst.statistic ?? 0) * 100)} % of ${health.skewRows} served rows differ from the point-in-time recomputation)`,
      findings: health.skew,
      facts: health.facts,
      window,
      next: 'investigate',
    });
    alerts.push({ kind: 'skew', action: notice.action });
  } else if (health.skewOpen && health.skewRows > 0) {
    const notice = await notifyResolved({
      model,
      kind: 'skew',
      reason: `${health.skewRows} served rows match their point-in-time recomputation`,
    });
    alerts.push({ kind: 'skew', action: notice.action });
  }
  return { stale: health.stale, facts: health.facts, alerts };
}
