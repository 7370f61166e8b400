/** What the loop records on a version after it is trained: its reference profile and holdout metrics. */
import { serializeProfile } from '../stats/profile/serializeProfile';
import type { ReferenceProfile } from '../stats/profile/referenceProfile';
import type { Queryable } from './db';

/** Stores the profile of a version (packed, serializeProfile); the monitor reads it from the next run on. */
export async function setReferenceProfile(
  db: Queryable,
  model: string,
  version: number,
  profile: ReferenceProfile,
): Promise<void> {
  const { rowCount } = await db.query(
    `UPDATE model_versions SET reference_profile = $3 WHERE model = $1 AND version = $2`,
    [model, version, serializeProfile(profile)],
  );
  if (rowCount === 0) throw new Error(`model ${model} has no version ${version} to store a reference profile on`);
}

/** Adds metrics (e.g. the holdout value of the monitored metric) to a version's stored metrics. */
export async function mergeVersionMetrics(
  db: Queryable,
  model: string,
  version: number,
  metrics: Record<string, number>,
): Promise<void> {
  await db.query(`UPDATE model_versions SET metrics = metrics || $3::jsonb WHERE model = $1 AND version = $2`, [
    model,
    version,
    JSON.stringify(metrics),
  ]);
}
