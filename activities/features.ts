/**
 * The feature-health activity of a monitoring round (features/monitor.ts): train/serve skew on a
 * sample of the window's served rows, and freshness of every batch table and stream the model
 * reads. Both are recorded in `feature_checks`; the workflow turns them into incidents.
 */
import type { AlertFinding } from '../alerts/types';
import { checkFreshness, checkSkew } from '../features/monitor';
import { getOpenIncident } from '../store/alerts';
import { insertFeatureCheck } from '../store/featureEvents';
import { getModel } from '../store/models';
import type { ActivityDeps } from './deps';

export interface FeatureHealthRequest {
  model: string;
  windowStart: string;
  windowEnd: string;
}

export interface FeatureHealth {
  /** Served rows recomputed offline. */
  skewRows: number;
  /** Features whose served values disagree with the offline recomputation too often. */
  skew: AlertFinding[];
  /** Stale batch tables and silent streams. */
  stale: AlertFinding[];
  skewOpen: boolean;
  facts: Record<string, number | string>;
}

export function createFeatureActivities({ db, config, logger }: ActivityDeps) {
  return {
    async checkFeatureHealth(req: FeatureHealthRequest): Promise<FeatureHealth> {
      const model = await getModel(db, req.model);
      const windowEnd = new Date(req.windowEnd);
      const skew = await checkSkew(
        db,
        req.model,
        model.features,
        { from: new Date(req.windowStart), to: windowEnd },
        { graceMs: config.skewGraceSeconds * 1000 },
      );
      const stale = await checkFreshness(db, model.features, windowEnd.getTime());
      await insertFeatureCheck(db, { model: req.model, kind: 'skew', rows: skew.rows, findings: skew.features });
      await insertFeatureCheck(db, { model: req.model, kind: 'freshness', rows: 0, findings: stale });
      if (skew.skewed.length || stale.length) {
        logger.warn(
          { model: req.model, skewed: skew.skewed, stale: stale.map((s) => s.reason) },
          `model ${req.model}: feature health: ${skew.skewed.length} skewed, ${stale.length} stale`,
        );
      }
      return {
        skewRows: skew.rows,
        skew: skew.skewed.map((s) => ({
          feature: s.feature,
          test: 'train_serve_skew',
          statistic: s.share,
          pvalue: null,
          threshold: 0.01,
        })),
        stale: stale.map((s) => ({
          feature: s.feature,
          test: s.kind === 'batch' ? 'batch_max_age' : 'stream_silence',
          statistic: s.ageSeconds,
          pvalue: null,
          threshold: s.limitSeconds,
        })),
        skewOpen: (await getOpenIncident(db, req.model, 'skew')) !== null,
        facts: {
          skew_rows_checked: skew.rows,
          ...Object.fromEntries(skew.skewed.map((s) => [`skew_${s.feature}`, `${s.mismatches} of ${s.checked}`])),
          ...Object.fromEntries(stale.map((s) => [`stale_${s.feature}`, s.reason])),
        },
      };
    },
  };
}
