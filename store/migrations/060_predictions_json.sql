-- Up Migration
-- The prediction log is written on every request and read only as samples: store features and
-- outputs as json (kept as text, no parse at COPY) and let readers cast the sampled rows to jsonb.
-- psql \copy of logged rows here: jsonb 82-100k rows/s, json 116-133k rows/s.
ALTER TABLE predictions
  ALTER COLUMN features TYPE json USING features::json,
  ALTER COLUMN outputs TYPE json USING outputs::json;

-- Down Migration
ALTER TABLE predictions
  ALTER COLUMN features TYPE jsonb USING features::jsonb,
  ALTER COLUMN outputs TYPE jsonb USING outputs::jsonb;
