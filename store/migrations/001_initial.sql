-- Up Migration

-- Registered models: what they take, what they predict, how they are watched.
CREATE TABLE models (
  name            text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  task            text NOT NULL CHECK (task IN ('binary', 'multiclass', 'regression')),
  feature_schema  jsonb NOT NULL,
  target          jsonb NOT NULL,
  policy          jsonb NOT NULL DEFAULT '{}'::jsonb,
  description     text NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE model_versions (
  id                bigserial PRIMARY KEY,
  model             text NOT NULL REFERENCES models(name) ON DELETE CASCADE,
  version           integer NOT NULL CHECK (version > 0),
  onnx              bytea NOT NULL,
  sha256            text NOT NULL,
  trainer           text NOT NULL DEFAULT 'external',
  training_window   tstzrange,
  training_rows     integer,
  metrics           jsonb NOT NULL DEFAULT '{}'::jsonb,
  reference_profile jsonb,
  stage             text NOT NULL CHECK (stage IN ('candidate', 'shadow', 'canary', 'production', 'retired', 'rejected')),
  stage_reason      text,
  parent_version    integer,
  workflow_id       text,
  -- Set by a retrain step so that a retried activity finds the version it already wrote.
  idempotency_key   text UNIQUE,
  created_at        timestamptz NOT NULL DEFAULT now(),
  stage_changed_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (model, version)
);
-- At most one version per model in each live stage.
CREATE UNIQUE INDEX model_versions_one_production ON model_versions (model) WHERE stage = 'production';
CREATE UNIQUE INDEX model_versions_one_canary ON model_versions (model) WHERE stage = 'canary';
CREATE UNIQUE INDEX model_versions_one_shadow ON model_versions (model) WHERE stage = 'shadow';

-- Every prediction served, online or batch. Written only by batched COPY; partitioned by day.
CREATE TABLE predictions (
  id          uuid NOT NULL,
  model       text NOT NULL,
  version     integer NOT NULL,
  stage       text NOT NULL CHECK (stage IN ('production', 'canary', 'shadow', 'batch')),
  ts          timestamptz NOT NULL,
  features    jsonb NOT NULL,
  outputs     jsonb NOT NULL,
  -- The monitored output: P(positive) for binary, predicted value for regression, top-class probability for multiclass.
  score       double precision,
  label       text,
  latency_ms  real,
  PRIMARY KEY (id, ts)
) PARTITION BY RANGE (ts);
CREATE INDEX predictions_model_ts ON predictions (model, ts);
-- Rows outside every daily partition land here instead of failing the COPY; ensure_prediction_partitions moves them.
CREATE TABLE predictions_default PARTITION OF predictions DEFAULT;

-- Creates the daily partitions from (today - days_back) to (today + days_ahead), moving any rows
-- that had landed in the default partition for those days.
CREATE FUNCTION ensure_prediction_partitions(days_back integer DEFAULT 1, days_ahead integer DEFAULT 7)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  d date;
  part text;
  created integer := 0;
BEGIN
  FOR d IN SELECT generate_series((now() AT TIME ZONE 'UTC')::date - days_back,
                                  (now() AT TIME ZONE 'UTC')::date + days_ahead, interval '1 day')::date
  LOOP
    part := format('predictions_%s', to_char(d, 'YYYYMMDD'));
    IF to_regclass(part) IS NULL THEN
      EXECUTE format('CREATE TABLE %I (LIKE predictions INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
      EXECUTE format('WITH moved AS (DELETE FROM predictions_default WHERE ts >= %L::timestamptz AND ts < %L::timestamptz RETURNING *) INSERT INTO %I SELECT * FROM moved',
                     d::text || ' 00:00:00+00', (d + 1)::text || ' 00:00:00+00', part);
      EXECUTE format('ALTER TABLE predictions ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                     part, d::text || ' 00:00:00+00', (d + 1)::text || ' 00:00:00+00');
      created := created + 1;
    END IF;
  END LOOP;
  RETURN created;
END $$;

SELECT ensure_prediction_partitions(1, 7);

-- Labeled training data a model version was fit on (the reference set), kept so that a retrain
-- can combine it with the recent labeled window.
CREATE TABLE training_rows (
  id        bigserial PRIMARY KEY,
  model     text NOT NULL REFERENCES models(name) ON DELETE CASCADE,
  dataset   text NOT NULL DEFAULT 'reference',
  ts        timestamptz NOT NULL DEFAULT now(),
  features  jsonb NOT NULL,
  label     text NOT NULL
);
CREATE INDEX training_rows_model_dataset ON training_rows (model, dataset);

-- Ground truth, arriving late.
CREATE TABLE labels (
  prediction_id uuid PRIMARY KEY,
  model         text NOT NULL,
  ts            timestamptz NOT NULL DEFAULT now(),
  label         text NOT NULL
);
CREATE INDEX labels_model_ts ON labels (model, ts);

-- One row per monitoring run: what Grafana plots and what the monitor's persistence rule reads.
CREATE TABLE drift_runs (
  id                    bigserial PRIMARY KEY,
  model                 text NOT NULL REFERENCES models(name) ON DELETE CASCADE,
  version               integer NOT NULL,
  workflow_id           text,
  run_id                text,
  window_start          timestamptz NOT NULL,
  window_end            timestamptz NOT NULL,
  rows_in_window        integer NOT NULL DEFAULT 0,
  rows_sampled          integer NOT NULL DEFAULT 0,
  labeled_rows          integer NOT NULL DEFAULT 0,
  status                text NOT NULL CHECK (status IN ('ok', 'warning', 'drift', 'performance_decay', 'insufficient_data', 'error')),
  drift_score           double precision,
  drifted_features      integer NOT NULL DEFAULT 0,
  total_features        integer NOT NULL DEFAULT 0,
  prediction_drift      boolean NOT NULL DEFAULT false,
  performance           jsonb,
  estimated_performance jsonb,
  data_quality          jsonb,
  multivariate          jsonb,
  report                jsonb,
  duration_ms           real,
  created_at            timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workflow_id, run_id)
);
CREATE INDEX drift_runs_model_created ON drift_runs (model, created_at DESC);

CREATE TABLE drift_results (
  drift_run_id    bigint NOT NULL REFERENCES drift_runs(id) ON DELETE CASCADE,
  feature         text NOT NULL,
  kind            text NOT NULL DEFAULT 'feature' CHECK (kind IN ('feature', 'prediction', 'multivariate')),
  test            text NOT NULL,
  statistic       double precision,
  pvalue          double precision,
  adjusted_pvalue double precision,
  threshold       double precision,
  drifted         boolean NOT NULL,
  details         jsonb,
  PRIMARY KEY (drift_run_id, feature, test)
);

-- Incidents: one open per model and kind.
CREATE TABLE alerts (
  id          bigserial PRIMARY KEY,
  model       text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('drift', 'performance', 'data_quality', 'deploy_failed', 'rollback')),
  severity    text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  status      text NOT NULL CHECK (status IN ('firing', 'resolved')),
  summary     text NOT NULL,
  details     jsonb NOT NULL DEFAULT '{}'::jsonb,
  links       jsonb NOT NULL DEFAULT '{}'::jsonb,
  dedup_key   text NOT NULL,
  drift_run_id bigint,
  opened_at   timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz
);
CREATE UNIQUE INDEX alerts_one_open_per_model_kind ON alerts (model, kind) WHERE status = 'firing';

CREATE TABLE retrain_runs (
  id                 bigserial PRIMARY KEY,
  model              text NOT NULL REFERENCES models(name) ON DELETE CASCADE,
  workflow_id        text NOT NULL,
  run_id             text NOT NULL,
  trigger            text NOT NULL CHECK (trigger IN ('drift', 'performance', 'manual', 'schedule')),
  status             text NOT NULL CHECK (status IN ('running', 'awaiting_approval', 'rejected', 'deployed', 'rolled_back', 'failed')),
  step               text,
  champion_version   integer,
  challenger_version integer,
  champion_metrics   jsonb,
  challenger_metrics jsonb,
  reason             text,
  started_at         timestamptz NOT NULL DEFAULT now(),
  finished_at        timestamptz,
  UNIQUE (workflow_id, run_id)
);
CREATE INDEX retrain_runs_model_started ON retrain_runs (model, started_at DESC);

CREATE TABLE deployments (
  id              bigserial PRIMARY KEY,
  model           text NOT NULL REFERENCES models(name) ON DELETE CASCADE,
  version         integer NOT NULL,
  action          text NOT NULL CHECK (action IN ('register', 'shadow', 'canary', 'promote', 'rollback', 'retire', 'reject')),
  from_stage      text,
  to_stage        text NOT NULL,
  reason          text,
  workflow_id     text,
  idempotency_key text UNIQUE,
  at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deployments_model_at ON deployments (model, at DESC);

-- Down Migration
DROP TABLE IF EXISTS deployments, retrain_runs, alerts, drift_results, drift_runs, labels, training_rows CASCADE;
DROP TABLE IF EXISTS predictions CASCADE;
DROP FUNCTION IF EXISTS ensure_prediction_partitions(integer, integer);
DROP TABLE IF EXISTS model_versions, models CASCADE;
