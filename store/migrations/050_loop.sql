-- Up Migration

-- The statistics engine's repeated-look state (persistence, alpha spending) handed from one monitoring run to the next.
ALTER TABLE drift_runs ADD COLUMN state jsonb;

-- A retrain's assembled data. The rows themselves live in training_rows under the datasets
-- 'retrain:<id>:train' and 'retrain:<id>:holdout', so activities pass only this id between them.
CREATE TABLE retrain_datasets (
  id               bigserial PRIMARY KEY,
  model            text NOT NULL REFERENCES models(name) ON DELETE CASCADE,
  -- <workflowId>/<runId>/assemble: a retried step finds the dataset it already wrote.
  idempotency_key  text NOT NULL UNIQUE,
  reference_rows   integer NOT NULL,
  recent_rows      integer NOT NULL,
  train_rows       integer NOT NULL,
  holdout_rows     integer NOT NULL,
  -- Rows at or after this instant form the holdout (time-based split).
  holdout_from     timestamptz,
  recent_from      timestamptz NOT NULL,
  recent_to        timestamptz NOT NULL,
  -- The version trained on it, once registered: its data is the reference for the next retrain.
  version          integer,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX retrain_datasets_model_version ON retrain_datasets (model, version);

ALTER TABLE retrain_runs
  ADD COLUMN dataset_id bigint REFERENCES retrain_datasets(id) ON DELETE SET NULL,
  ADD COLUMN drift_run_id bigint,
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- Down Migration
ALTER TABLE retrain_runs DROP COLUMN IF EXISTS dataset_id, DROP COLUMN IF EXISTS drift_run_id, DROP COLUMN IF EXISTS updated_at;
DROP TABLE IF EXISTS retrain_datasets;
ALTER TABLE drift_runs DROP COLUMN IF EXISTS state;
