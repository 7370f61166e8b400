/** Shared fixtures of the alert suites: a registered model and a monitoring run with drifted features. */
import type { Db } from '../../store/db';
import { upsertModel } from '../../store/models';

export const WINDOW = { start: new Date('2025-03-01T10:00:00Z'), end: new Date('2025-03-01T10:10:00Z') };

export async function registerModel(db: Db, name: string, alerts: { severity?: string; sinks?: string[] } = {}) {
  await upsertModel(db, {
    name,
    task: 'binary',
    features: [
      { name: 'tenure', type: 'numerical' },
      { name: 'plan', type: 'categorical' },
      { name: 'spend', type: 'numerical' },
    ],
    target: { name: 'churned', classes: ['no', 'yes'] },
    policy: { alerts: { severity: alerts.severity ?? 'critical', sinks: alerts.sinks ?? [] } },
  });
}

/** A drift run over WINDOW where tenure (PSI) and plan (chi-square) drifted and spend did not. */
export async function insertDriftRun(db: Db, model: string): Promise<number> {
  const { rows } = await db.query(
    `INSERT INTO drift_runs (model, version, window_start, window_end, rows_in_window, status, drift_score, drifted_features, total_features)
     VALUES ($1, 1, $2, $3, 5000, 'drift', 0.42, 2, 3) RETURNING id`,
    [model, WINDOW.start, WINDOW.end],
  );
  const id = rows[0].id as number;
  await db.query(
    `INSERT INTO drift_results (drift_run_id, feature, test, statistic, pvalue, adjusted_pvalue, threshold, drifted) VALUES
     ($1, 'plan', 'chi_square', 88.5, 0.00000123, 0.0000037, 0.05, true),
     ($1, 'tenure', 'psi', 0.41, NULL, NULL, 0.2, true),
     ($1, 'spend', 'ks', 0.02, 0.61, 1, 0.05, false)`,
    [id],
  );
  return id;
}
