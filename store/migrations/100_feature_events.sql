-- Up Migration
-- Stream features: every accepted event, once per (stream, id). ts is the event time, received_at
-- when driftloop accepted it: a value at time t counts events with ts in the window ending at t
-- AND received_at <= t, which is what serving knew at t (point-in-time training reads the same).
CREATE TABLE feature_events (
  stream      text NOT NULL,
  id          text NOT NULL,
  ts          timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  fields      json NOT NULL,
  PRIMARY KEY (stream, id)
);
CREATE INDEX feature_events_stream_ts ON feature_events (stream, ts);
CREATE INDEX feature_events_stream_received ON feature_events (stream, received_at);

-- Train/serve skew and freshness checks, one row per check: what Grafana and an incident point at.
CREATE TABLE feature_checks (
  id          bigserial PRIMARY KEY,
  model       text NOT NULL,
  checked_at  timestamptz NOT NULL DEFAULT now(),
  kind        text NOT NULL CHECK (kind IN ('skew', 'freshness')),
  rows        integer NOT NULL,
  findings    jsonb NOT NULL
);
CREATE INDEX feature_checks_model ON feature_checks (model, checked_at);

-- A new incident kind, `skew`. Rewrites whatever list the check holds now (other migrations may add kinds too).
DO $$
DECLARE def text;
BEGIN
  SELECT pg_get_constraintdef(oid) INTO def FROM pg_constraint
   WHERE conrelid = 'alerts'::regclass AND conname = 'alerts_kind_check';
  IF def NOT LIKE '%''skew''%' THEN
    EXECUTE 'ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check';
    EXECUTE 'ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check ' || replace(def, 'ARRAY[', 'ARRAY[''skew''::text, ');
  END IF;
END $$;

-- Down Migration
DO $$
DECLARE def text;
BEGIN
  SELECT pg_get_constraintdef(oid) INTO def FROM pg_constraint
   WHERE conrelid = 'alerts'::regclass AND conname = 'alerts_kind_check';
  EXECUTE 'ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check';
  EXECUTE 'ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check ' || replace(def, '''skew''::text, ', '');
END $$;
DROP TABLE feature_checks;
DROP TABLE feature_events;
