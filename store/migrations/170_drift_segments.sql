-- Up Migration
-- Drift and performance per segment of a categorical column (policy.drift.segments.columns): one row per
-- monitoring run, segment column and segment value. The p-values behind flagged_features were corrected
-- across every feature of every segment of the column together (stats/report/segmentDrift.ts).
CREATE TABLE drift_segments (
  drift_run_id     bigint NOT NULL REFERENCES drift_runs(id) ON DELETE CASCADE,
  segment_column   text NOT NULL,
  segment          text NOT NULL,
  rows             integer NOT NULL,
  flagged_features text[] NOT NULL,
  -- Per feature: test, statistic, pvalue, adjustedPvalue, effectSize, flagged.
  features         jsonb NOT NULL,
  -- Binary CBPE on the segment's predictions, and the realized metrics where labels arrived.
  estimated        jsonb,
  realized         jsonb,
  PRIMARY KEY (drift_run_id, segment_column, segment)
);

-- Down Migration
DROP TABLE IF EXISTS drift_segments;
