-- Up Migration
-- Failed prediction requests (4xx/5xx), written in batches by the serving process; Grafana plots error rates from here.
CREATE TABLE serving_errors (
  ts      timestamptz NOT NULL DEFAULT now(),
  model   text NOT NULL,
  version integer,
  stage   text,
  status  integer NOT NULL,
  reason  text NOT NULL
);
CREATE INDEX serving_errors_model_ts ON serving_errors (model, ts);

-- Down Migration
DROP TABLE IF EXISTS serving_errors;
