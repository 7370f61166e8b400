-- Up Migration
-- Requests per model, version, stage and minute, kept by the database on every write to the prediction
-- log (COPY from servers, batch scoring, ingest): dashboards and fleet views read this instead of
-- scanning predictions, whose size is requests/s × retention (430M rows a day at 5,000 req/s).
-- Its size follows the fleet (models × live versions × 1,440 minutes a day), not the traffic.
-- Minutes are binned in UTC (date_bin, not date_trunc, which follows the session's TimeZone).
CREATE TABLE prediction_rollup (
  model          text NOT NULL,
  version        integer NOT NULL,
  stage          text NOT NULL,
  minute         timestamptz NOT NULL,
  requests       bigint NOT NULL,
  latency_count  bigint NOT NULL,
  latency_ms_sum double precision NOT NULL,
  PRIMARY KEY (model, version, stage, minute)
);
CREATE INDEX prediction_rollup_minute ON prediction_rollup (minute);

CREATE FUNCTION prediction_rollup_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Sorted by key: concurrent writers take the row locks in the same order and cannot deadlock.
  INSERT INTO prediction_rollup AS r (model, version, stage, minute, requests, latency_count, latency_ms_sum)
  SELECT model, version, stage, date_bin('1 minute', ts, timestamptz '2000-01-01 00:00:00+00'),
         count(*), count(latency_ms), COALESCE(sum(latency_ms), 0)
  FROM new_rows
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (model, version, stage, minute) DO UPDATE SET
    requests = r.requests + EXCLUDED.requests,
    latency_count = r.latency_count + EXCLUDED.latency_count,
    latency_ms_sum = r.latency_ms_sum + EXCLUDED.latency_ms_sum;
  RETURN NULL;
END $$;

-- Once per statement (a COPY batch), over the rows the statement inserted (rows moved between
-- partitions by ensure_prediction_partitions are inserted into the partition, not here).
CREATE TRIGGER predictions_rollup AFTER INSERT ON predictions
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION prediction_rollup_add();

INSERT INTO prediction_rollup (model, version, stage, minute, requests, latency_count, latency_ms_sum)
SELECT model, version, stage, date_bin('1 minute', ts, timestamptz '2000-01-01 00:00:00+00'),
       count(*), count(latency_ms), COALESCE(sum(latency_ms), 0)
FROM predictions
GROUP BY 1, 2, 3, 4;

-- Down Migration
DROP TRIGGER IF EXISTS predictions_rollup ON predictions;
DROP FUNCTION IF EXISTS prediction_rollup_add();
DROP TABLE IF EXISTS prediction_rollup;
