-- Up Migration

-- Predictions logged by a server other than driftloop carry the caller's own id. The key row makes
-- a resent row a no-op (idempotent on the caller's id) and remembers which prediction it became;
-- the prediction id itself is derived from (model, key), so labels keyed by the caller's id can
-- land before or after the prediction.
CREATE TABLE prediction_keys (
  model          text NOT NULL,
  key            text NOT NULL,
  prediction_id  uuid NOT NULL,
  ts             timestamptz NOT NULL,
  ingested_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, key)
);
CREATE INDEX prediction_keys_ingested ON prediction_keys (ingested_at);

-- One half (request or response) of a KServe inference-logger pair waiting for the other,
-- correlated by the CloudEvent id. Durable, so halves that arrive on different servers or across
-- a restart still meet; halves left alone past the pairing window are resolved by a sweep.
CREATE TABLE cloudevent_halves (
  model        text NOT NULL,
  event_id     text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('request', 'response')),
  endpoint     text,
  body         jsonb NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, event_id, kind)
);
CREATE INDEX cloudevent_halves_received ON cloudevent_halves (received_at);

-- Down Migration
DROP TABLE cloudevent_halves;
DROP TABLE prediction_keys;
