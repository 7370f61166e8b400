-- Up Migration
-- The prediction log stores features as json, which accepts escapes jsonb refuses (\u0000, a lone
-- surrogate). Readers cast through this function for rows holding a \u escape: a refused row reads
-- as NULL and is skipped and counted, instead of failing every window or dataset that holds it.
CREATE FUNCTION driftloop_jsonb_or_null(value json) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN value::jsonb;
EXCEPTION WHEN data_exception THEN
  RETURN NULL;
END
$$;

ALTER TABLE retrain_datasets ADD COLUMN skipped_rows integer NOT NULL DEFAULT 0;

-- Down Migration
ALTER TABLE retrain_datasets DROP COLUMN IF EXISTS skipped_rows;
DROP FUNCTION IF EXISTS driftloop_jsonb_or_null(json);
