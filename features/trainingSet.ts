/**
 * Point-in-time training sets. A retrain's rows from served traffic carry the entity keys and the
 * resolution time t (under "@features"); their batch and stream columns are recomputed from the
 * current definitions at t (features/pointInTime.ts, the server's own `valueAt`), so a label's row
 * holds the values as they were when the prediction was made and never a later event, and a
 * changed or added definition is backfilled the same way.
 */
import type { Queryable } from '../store/db';
import { readServedTrainingRows, updateTrainingRowFeatures } from '../store/featureTraining';
import { derivedFeatures, type SourcedFeature } from './definition';
import { pointInTimeValues, type PointInTime } from './pointInTime';
import type { Resolution } from './serving';

export interface PointInTimeSummary {
  rows: number;
  /** Values that differ from what was served (a definition changed, or a skew to look at). */
  changedValues: number;
}

/** The resolution time of a logged row, or null when it was not resolved by driftloop. */
export function resolutionOf(features: Record<string, unknown>): Resolution | null {
  const r = features['@features'] as Resolution | undefined;
  return r && typeof r.at === 'number' ? r : null;
}

export async function pointInTimeTrainingRows(
  db: Queryable,
  features: readonly SourcedFeature[],
  datasetId: number,
): Promise<PointInTimeSummary> {
  const rows = await readServedTrainingRows(db, datasetId);
  const points: PointInTime[] = rows.map((r) => ({ entities: r.features, at: resolutionOf(r.features)!.at }));
  const values = await pointInTimeValues(db, features, points);
  const derived = derivedFeatures(features);
  let changedValues = 0;
  rows.forEach((r, i) => {
    for (const f of derived) {
      const v = values[i][f.name].value;
      if (r.features[f.name] !== v) changedValues++;
      r.features[f.name] = v;
    }
  });
  await updateTrainingRowFeatures(db, rows);
  return { rows: rows.length, changedValues };
}
