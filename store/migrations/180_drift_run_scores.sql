-- Up Migration
-- A summary of the monitored output (the prediction score) of each monitoring round's sampled window
-- (stats/report/scoreSummary.ts): count of finite scores, mean, p10/p25/p50/p75/p90 (percentile_cont),
-- and ten equal-width buckets over the model's fixed score range (edges and counts). The model-drift
-- dashboard plots it per run instead of scanning predictions. NULL for runs whose window had no finite
-- score and for runs written before this column existed.
ALTER TABLE drift_runs ADD COLUMN score_summary jsonb;

-- Down Migration
ALTER TABLE drift_runs DROP COLUMN IF EXISTS score_summary;
