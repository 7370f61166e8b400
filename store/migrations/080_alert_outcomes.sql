-- Up Migration

-- notice: an outcome of the retrain handling an incident (deployed, rejected), sent once, no page.
ALTER TABLE alert_events DROP CONSTRAINT alert_events_action_check;
ALTER TABLE alert_events ADD CONSTRAINT alert_events_action_check
  CHECK (action IN ('trigger', 'refresh', 'resolve', 'notice'));

-- A delivery is claimed (short transaction) before its HTTP call and recorded after it, so no row
-- lock is held while a sink answers; the lease keeps two attempts from sending at the same time.
ALTER TABLE alert_deliveries ADD COLUMN claimed_until timestamptz;

-- Down Migration
ALTER TABLE alert_deliveries DROP COLUMN IF EXISTS claimed_until;
DELETE FROM alert_events WHERE action = 'notice';
ALTER TABLE alert_events DROP CONSTRAINT alert_events_action_check;
ALTER TABLE alert_events ADD CONSTRAINT alert_events_action_check CHECK (action IN ('trigger', 'refresh', 'resolve'));
