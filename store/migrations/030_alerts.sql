-- Up Migration

-- Every notification-worthy moment of an incident (opened, refreshed, resolved), with the message
-- frozen as sent. event_key is chosen by the workflow, so a retried activity finds its own event.
CREATE TABLE alert_events (
  id          bigserial PRIMARY KEY,
  alert_id    bigint NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
  event_key   text NOT NULL UNIQUE,
  action      text NOT NULL CHECK (action IN ('trigger', 'refresh', 'resolve')),
  message     jsonb NOT NULL,
  workflow_id text,
  run_id      text,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_events_alert ON alert_events (alert_id, id);

-- One row per event × sink: the ledger that makes delivery once-only across activity retries and
-- worker restarts (a delivered row is never sent again) and shows on-call what reached whom.
CREATE TABLE alert_deliveries (
  id           bigserial PRIMARY KEY,
  event_id     bigint NOT NULL REFERENCES alert_events(id) ON DELETE CASCADE,
  sink         text NOT NULL CHECK (sink IN ('alertmanager', 'pagerduty', 'slack', 'webhook')),
  -- held: a retrain for the model was in flight; rate_limited: the sink's hourly page budget was spent;
  -- superseded: the incident resolved before this page could be sent.
  status       text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'held', 'rate_limited', 'superseded')),
  attempts     integer NOT NULL DEFAULT 0,
  last_status  integer,
  last_error   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  UNIQUE (event_id, sink)
);
CREATE INDEX alert_deliveries_sink_created ON alert_deliveries (sink, created_at);
CREATE INDEX alert_deliveries_unfinished ON alert_deliveries (event_id) WHERE status = 'pending';

-- Down Migration
DROP TABLE IF EXISTS alert_deliveries, alert_events;
