/**
 * A realistic few days of driftloop history for three models (binary, binary, regression): versions in
 * every stage, ~5k predictions with late labels, a drift run every 30 minutes with per-feature results
 * (p-value and distance tests) and data-quality findings in the three shapes dashboards must read,
 * incidents, retrain runs, deployments and serving errors. Deterministic (setseed) and built server-side,
 * except each run's score summary, which stats' scoreSummary computes from the predictions of its window
 * as a monitoring round does.
 */
import { scoreBucketRange, scoreSummary } from '../../stats/index';
import type { Db } from '../../store/db';

/** The regressor's reference prediction range: narrower than its traffic, so some scores fall outside. */
export const HOUSE_PRICE_REFERENCE = { min: 220_000, max: 280_000 };

/** Runs older than this kept no summary, as runs written before migration 180 did. */
export const SUMMARY_SINCE_HOURS = 40;

const SEED_SQL = `
SELECT setseed(0.42);
SELECT ensure_prediction_partitions(4, 1);

INSERT INTO models (name, task, feature_schema, target) VALUES
  ('churn', 'binary',
   '[{"name":"tenure","type":"numerical","min":0,"max":120},{"name":"monthly_charges","type":"numerical","min":0,"max":500},
     {"name":"contract","type":"categorical","categories":["monthly","yearly"]},{"name":"support_calls","type":"numerical","min":0}]',
   '{"name":"churned","classes":["no","yes"]}'),
  ('fraud', 'binary',
   '[{"name":"amount","type":"numerical","min":0},{"name":"merchant","type":"categorical","categories":["grocery","travel","online"]},
     {"name":"hour","type":"numerical","min":0,"max":23}]',
   '{"name":"is_fraud","classes":["legit","fraud"]}'),
  ('house-price', 'regression',
   '[{"name":"sqft","type":"numerical","min":100},{"name":"rooms","type":"numerical","min":1},{"name":"city","type":"categorical","categories":["north","south"]}]',
   '{"name":"price"}');

INSERT INTO model_versions (model, version, onnx, sha256, trainer, metrics, stage, workflow_id, created_at, stage_changed_at)
SELECT model, version, '\\x00'::bytea, md5(model || version), 'builtin', metrics::jsonb, stage, wf,
       now() - (age_h || ' hours')::interval, now() - (stage_age_h || ' hours')::interval
FROM (VALUES
  ('churn', 1, '{"auc":0.80}', 'retired', NULL, 400, 70),
  ('churn', 2, '{"auc":0.83}', 'production', 'retrain-churn-1', 72, 70),
  ('churn', 3, '{"auc":0.85}', 'canary', 'retrain-churn-2', 8, 7),
  ('fraud', 1, '{"auc":0.90}', 'retired', NULL, 500, 60),
  ('fraud', 2, '{"auc":0.92}', 'production', 'retrain-fraud-1', 62, 60),
  ('fraud', 3, '{"auc":0.91}', 'shadow', 'retrain-fraud-2', 20, 19),
  ('house-price', 1, '{"rmse":31000,"r2":0.71}', 'production', NULL, 300, 300),
  ('house-price', 2, '{"rmse":35000,"r2":0.64}', 'rejected', 'retrain-house-price-1', 30, 29)
) AS v(model, version, metrics, stage, wf, age_h, stage_age_h);

-- Production traffic every 3 minutes over 3 days, plus canary/shadow copies in the last hours.
CREATE TEMP TABLE seed_predictions AS
SELECT gen_random_uuid() AS id, m.model, m.version, m.stage, t.ts,
       m.model = 'house-price' AS regression,
       -- churn drifts in the last day: scores shift upwards
       CASE WHEN m.model = 'house-price' THEN 250000 + 80000 * (random() - 0.5)
            ELSE least(0.999, greatest(0.001, random() * 0.8 + CASE WHEN m.model = 'churn' AND t.ts > now() - interval '1 day' THEN 0.2 ELSE 0 END))
       END AS score,
       (2 + random() * 12 + CASE WHEN random() < 0.03 THEN 80 ELSE 0 END)::real AS latency_ms
FROM (VALUES ('churn', 2, 'production'), ('fraud', 2, 'production'), ('house-price', 1, 'production')) AS m(model, version, stage),
     generate_series(now() - interval '3 days', now() - interval '1 minute', interval '3 minutes') AS t(ts)
UNION ALL
SELECT gen_random_uuid(), m.model, m.version, m.stage, t.ts, false, random() * 0.9 + 0.05, (3 + random() * 15)::real
FROM (VALUES ('churn', 3, 'canary'), ('fraud', 3, 'shadow')) AS m(model, version, stage),
     generate_series(now() - interval '7 hours', now() - interval '2 minutes', interval '6 minutes') AS t(ts);

INSERT INTO predictions (id, model, version, stage, ts, features, outputs, score, label, latency_ms)
SELECT id, model, version, stage, ts,
       jsonb_build_object('x', round((random() * 100)::numeric, 2)),
       jsonb_build_object('score', score),
       score,
       CASE WHEN regression THEN NULL
            WHEN model = 'churn' THEN CASE WHEN score >= 0.5 THEN 'yes' ELSE 'no' END
            ELSE CASE WHEN score >= 0.5 THEN 'fraud' ELSE 'legit' END END,
       latency_ms
FROM seed_predictions;

-- Labels arrive for most predictions older than six hours; classifiers are right ~85% of the time.
INSERT INTO labels (prediction_id, model, ts, label)
SELECT p.id, p.model, p.ts + interval '5 hours',
       CASE WHEN p.label IS NULL THEN round((p.score + 20000 * (random() - 0.5))::numeric)::text
            WHEN random() < 0.85 THEN p.label
            WHEN p.model = 'churn' THEN CASE p.label WHEN 'yes' THEN 'no' ELSE 'yes' END
            ELSE CASE p.label WHEN 'fraud' THEN 'legit' ELSE 'fraud' END END
FROM predictions p
WHERE p.ts < now() - interval '6 hours' AND p.stage = 'production' AND random() < 0.7;

-- A monitoring run every 30 minutes per model.
CREATE TEMP TABLE seed_runs AS
SELECT m.model, m.version, t.ts, row_number() OVER () AS n,
       m.model = 'churn' AND t.ts > now() - interval '1 day' AS drifting
FROM (VALUES ('churn', 2), ('fraud', 2), ('house-price', 1)) AS m(model, version),
     generate_series(now() - interval '3 days', now() - interval '5 minutes', interval '30 minutes') AS t(ts);

INSERT INTO drift_runs (model, version, workflow_id, run_id, window_start, window_end, rows_in_window, rows_sampled,
                        labeled_rows, status, drift_score, drifted_features, total_features, prediction_drift,
                        data_quality, duration_ms, created_at)
SELECT model, version, 'monitor-' || model, 'run-' || n, ts - interval '30 minutes', ts, 10, 10, 7,
       CASE WHEN drifting THEN 'drift' WHEN n % 17 = 0 THEN 'warning' WHEN n % 41 = 0 THEN 'insufficient_data' ELSE 'ok' END,
       CASE WHEN drifting THEN 0.5 + random() * 0.4 ELSE random() * 0.2 END,
       CASE WHEN drifting THEN 2 ELSE 0 END,
       CASE model WHEN 'fraud' THEN 3 WHEN 'house-price' THEN 3 ELSE 4 END,
       drifting,
       CASE model
         -- preferred shape: feature map under "features"
         WHEN 'churn' THEN jsonb_build_object('features', jsonb_build_object(
           'tenure', jsonb_build_object('missing_rate', round((random() * 0.02)::numeric, 4), 'out_of_range_rate', 0),
           'contract', jsonb_build_object('missing_rate', 0, 'unseen_categories',
             CASE WHEN drifting THEN '["two-year"]'::jsonb ELSE '[]'::jsonb END)))
         -- array of findings, camelCase keys, counts
         WHEN 'fraud' THEN jsonb_build_object('features', jsonb_build_array(
           jsonb_build_object('feature', 'amount', 'missingRate', round((random() * 0.05)::numeric, 4), 'outOfRange', jsonb_build_object('rate', 0.01)),
           jsonb_build_object('feature', 'merchant', 'unseenCategories', 2)))
         -- top-level feature map, some keys absent
         ELSE jsonb_build_object('sqft', jsonb_build_object('missing', 0.03), 'city', jsonb_build_object('note', 'no findings'))
       END,
       20 + random() * 200,
       ts
FROM seed_runs;

INSERT INTO drift_results (drift_run_id, feature, kind, test, statistic, pvalue, adjusted_pvalue, threshold, drifted)
SELECT r.id, f.feature, 'feature', f.test,
       CASE WHEN f.test = 'psi' THEN CASE WHEN s.drifting THEN 0.3 + random() * 0.2 ELSE random() * 0.1 END
            ELSE CASE WHEN s.drifting THEN 0.2 + random() * 0.1 ELSE random() * 0.05 END END,
       CASE WHEN f.test = 'psi' THEN NULL WHEN s.drifting THEN random() * 0.001 ELSE 0.05 + random() * 0.95 END,
       CASE WHEN f.test = 'psi' THEN NULL WHEN s.drifting THEN random() * 0.004 ELSE least(1, 0.2 + random()) END,
       CASE WHEN f.test = 'psi' THEN 0.2 ELSE 0.01 END,
       s.drifting AND f.feature IN ('tenure', 'contract')
FROM drift_runs r
JOIN seed_runs s ON r.run_id = 'run-' || s.n
JOIN (VALUES ('churn', 'tenure', 'ks'), ('churn', 'monthly_charges', 'ks'), ('churn', 'contract', 'psi'),
             ('churn', 'support_calls', 'ks'), ('fraud', 'amount', 'ks'), ('fraud', 'merchant', 'psi'),
             ('fraud', 'hour', 'ks'), ('house-price', 'sqft', 'ks'), ('house-price', 'rooms', 'ks'),
             ('house-price', 'city', 'psi')) AS f(model, feature, test) ON f.model = r.model
UNION ALL
SELECT r.id, 'score', 'prediction', 'ks', random() * 0.1, random(), NULL, 0.01, false
FROM drift_runs r;

-- Every run segmented by a categorical feature of its model: one segment drifts while the model drifts.
INSERT INTO drift_segments (drift_run_id, segment_column, segment, rows, flagged_features, features, estimated, realized)
SELECT r.id, g.col, g.segment, 200 + floor(random() * 800)::int,
       CASE WHEN s.drifting AND g.drifts THEN ARRAY[g.feature] ELSE ARRAY[]::text[] END,
       jsonb_build_array(jsonb_build_object('feature', g.feature, 'test', 'ks', 'statistic', random() * 0.3,
         'pvalue', random(), 'adjustedPvalue', random(), 'effectSize', random(), 'threshold', 0.01,
         'flagged', s.drifting AND g.drifts)),
       jsonb_build_object('accuracy', 0.7 + random() * 0.2, 'precision', NULL, 'recall', NULL, 'f1', NULL, 'rocAuc', NULL),
       CASE WHEN random() < 0.5 THEN jsonb_build_object('accuracy', 0.7 + random() * 0.2) END
FROM drift_runs r
JOIN seed_runs s ON r.run_id = 'run-' || s.n
JOIN (VALUES ('churn', 'contract', 'monthly', 'tenure', true), ('churn', 'contract', 'yearly', 'tenure', false),
             ('fraud', 'merchant', 'online', 'amount', true), ('fraud', 'merchant', 'store', 'amount', false),
             ('house-price', 'city', 'north', 'sqft', true), ('house-price', 'city', 'south', 'sqft', false))
  AS g(model, col, segment, feature, drifts) ON g.model = r.model;

INSERT INTO alerts (model, kind, severity, status, summary, dedup_key, drift_run_id, opened_at, updated_at, resolved_at)
VALUES
  ('churn', 'drift', 'critical', 'firing', '2 of 4 features drifted (tenure, contract)', 'churn/drift',
   (SELECT max(id) FROM drift_runs WHERE model = 'churn'), now() - interval '20 hours', now() - interval '5 minutes', NULL),
  ('fraud', 'performance', 'warning', 'resolved', 'accuracy fell to 0.78', 'fraud/performance', NULL,
   now() - interval '40 hours', now() - interval '30 hours', now() - interval '30 hours'),
  ('house-price', 'data_quality', 'warning', 'firing', 'sqft missing in 3% of rows', 'house-price/data_quality', NULL,
   now() - interval '3 hours', now() - interval '10 minutes', NULL);

INSERT INTO retrain_runs (model, workflow_id, run_id, trigger, status, step, champion_version, challenger_version,
                          champion_metrics, challenger_metrics, reason, started_at, finished_at)
VALUES
  ('churn', 'retrain-churn-1', 'r1', 'drift', 'deployed', 'observe', 1, 2, '{"auc":0.80}', '{"auc":0.83}', NULL,
   now() - interval '73 hours', now() - interval '70 hours'),
  ('churn', 'retrain-churn-2', 'r2', 'drift', 'running', 'canary', 2, 3, '{"auc":0.83}', '{"auc":0.85}', NULL,
   now() - interval '9 hours', NULL),
  ('fraud', 'retrain-fraud-1', 'r3', 'performance', 'deployed', 'observe', 1, 2, '{"auc":0.90}', '{"auc":0.92}', NULL,
   now() - interval '63 hours', now() - interval '60 hours'),
  ('fraud', 'retrain-fraud-0', 'r4', 'schedule', 'rolled_back', 'observe', 2, 4, '{"auc":0.92}', '{"auc":0.93}',
   'canary error rate 4% above champion', now() - interval '50 hours', now() - interval '47 hours'),
  ('house-price', 'retrain-house-price-1', 'r5', 'manual', 'rejected', 'validate', 1, 2, '{"rmse":31000,"r2":0.71}',
   '{"rmse":35000,"r2":0.64}', 'challenger rmse worse than champion', now() - interval '30 hours', now() - interval '29 hours');

INSERT INTO deployments (model, version, action, from_stage, to_stage, reason, workflow_id, at) VALUES
  ('churn', 2, 'canary', 'candidate', 'canary', NULL, 'retrain-churn-1', now() - interval '71 hours'),
  ('churn', 2, 'promote', 'canary', 'production', 'canary healthy for 1h', 'retrain-churn-1', now() - interval '70 hours'),
  ('churn', 1, 'retire', 'production', 'retired', 'replaced by v2', 'retrain-churn-1', now() - interval '70 hours'),
  ('churn', 3, 'canary', 'candidate', 'canary', NULL, 'retrain-churn-2', now() - interval '7 hours'),
  ('fraud', 2, 'promote', 'canary', 'production', NULL, 'retrain-fraud-1', now() - interval '60 hours'),
  ('fraud', 4, 'rollback', 'production', 'retired', 'error rate above champion', 'retrain-fraud-0', now() - interval '47 hours'),
  ('fraud', 3, 'shadow', 'candidate', 'shadow', NULL, 'retrain-fraud-2', now() - interval '19 hours'),
  ('fraud', 5, 'rollback', 'canary', 'retired', 'canary p95 latency 3x the champion', 'retrain-fraud-3', now() - interval '5 hours'),
  ('house-price', 2, 'reject', 'candidate', 'rejected', 'rmse worse than champion', 'retrain-house-price-1', now() - interval '29 hours');

INSERT INTO serving_errors (ts, model, version, stage, status, reason)
SELECT now() - random() * interval '3 days', m.model, m.version, m.stage,
       (ARRAY[400, 400, 422, 500, 503])[1 + floor(random() * 5)::int],
       (ARRAY['feature tenure missing', 'amount is not a number', 'unknown field zip', 'onnxruntime failed', 'queue full'])[1 + floor(random() * 5)::int]
FROM (VALUES ('churn', 2, 'production'), ('fraud', 2, 'production'), ('house-price', 1, 'production')) AS m(model, version, stage),
     generate_series(1, 60)
UNION ALL
SELECT now() - random() * interval '6 hours', 'churn', 3, 'canary', 500, 'onnxruntime failed' FROM generate_series(1, 15)
UNION ALL
SELECT now() - random() * interval '6 hours', 'fraud', NULL, NULL, 400, 'model version header invalid' FROM generate_series(1, 5);
`;

export async function seedHistory(db: Db): Promise<void> {
  await db.query(SEED_SQL);
  await seedScoreSummaries(db);
}

/** Each recent run's summary of the scores in its window (production and batch rows of its version). */
async function seedScoreSummaries(db: Db): Promise<void> {
  const { rows } = await db.query<{ id: string; task: 'binary' | 'regression'; scores: number[] | null }>(
    `SELECT r.id, m.task, array_agg(p.score ORDER BY p.ts) FILTER (WHERE p.score IS NOT NULL) AS scores
     FROM drift_runs r
     JOIN models m ON m.name = r.model
     LEFT JOIN predictions p ON p.model = r.model AND p.version = r.version AND p.stage IN ('production', 'batch')
                            AND p.ts >= r.window_start AND p.ts < r.window_end
     WHERE r.created_at > now() - make_interval(hours => $1)
     GROUP BY r.id, m.task`,
    [SUMMARY_SINCE_HOURS],
  );
  const summaries = rows.map((r) =>
    scoreSummary(r.scores ?? [], scoreBucketRange(r.task, r.task === 'regression' ? HOUSE_PRICE_REFERENCE : null)),
  );
  await db.query(
    `UPDATE drift_runs r SET score_summary = u.s FROM unnest($1::bigint[], $2::jsonb[]) AS u(id, s) WHERE r.id = u.id`,
    [rows.map((r) => r.id), summaries.map((s) => (s ? JSON.stringify(s) : null))],
  );
}
