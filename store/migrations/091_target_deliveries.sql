-- Up Migration

-- Each deployment target's confirmation of one stage change (keyed by the workflow step's
-- idempotency key): a retried step skips the targets that already confirmed and tells the rest.
CREATE TABLE target_deliveries (
  idempotency_key  text NOT NULL,
  target_index     integer NOT NULL,
  target_type      text NOT NULL,
  model            text NOT NULL,
  version          integer NOT NULL,
  stage            text NOT NULL,
  receipt          jsonb NOT NULL DEFAULT '{}'::jsonb,
  confirmed_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (idempotency_key, target_index)
);
CREATE INDEX target_deliveries_model ON target_deliveries (model, confirmed_at DESC);

-- Down Migration
DROP TABLE target_deliveries;
