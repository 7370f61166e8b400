/**
 * Data-quality findings from drift_runs.data_quality, read loosely: the preferred shape is
 * {"features": {"<feature>": {"missing_rate": n, "out_of_range_rate": n, "unseen_categories": [..]}}},
 * and a top-level feature map, a "features" array of {"feature": .., ...} objects, camelCase keys,
 * counts instead of lists, and missing keys all yield rows (with NULLs) instead of errors.
 */

/** A CTE pair `dq_runs`, `dq_findings(run_id, time, feature, missing_rate, out_of_range_rate, unseen_categories)` for runs matching `runFilter`. */
export function dataQualityFindingsCte(runFilter: string): string {
  return `
    WITH dq_runs AS (
      SELECT id, created_at, data_quality AS dq
      FROM drift_runs
      WHERE ${runFilter} AND data_quality IS NOT NULL
    ), dq_entries AS (
      SELECT r.id AS run_id, r.created_at AS time, e.key AS feature, e.value AS finding
      FROM dq_runs r,
           jsonb_each(CASE WHEN jsonb_typeof(r.dq -> 'features') = 'object' THEN r.dq -> 'features'
                           WHEN jsonb_typeof(r.dq -> 'features') IS NULL AND jsonb_typeof(r.dq) = 'object' THEN r.dq
                           ELSE '{}'::jsonb END) e
      WHERE jsonb_typeof(e.value) = 'object'
      UNION ALL
      SELECT r.id, r.created_at, COALESCE(a.value ->> 'feature', a.value ->> 'name', '?'), a.value
      FROM dq_runs r,
           jsonb_array_elements(CASE WHEN jsonb_typeof(r.dq -> 'features') = 'array' THEN r.dq -> 'features'
                                     WHEN jsonb_typeof(r.dq) = 'array' THEN r.dq
                                     ELSE '[]'::jsonb END) a
      WHERE jsonb_typeof(a.value) = 'object'
    ), dq_values AS (
      SELECT run_id, time, feature,
             COALESCE(finding -> 'missing_rate', finding -> 'missingRate', finding -> 'missing') AS missing,
             COALESCE(finding -> 'out_of_range_rate', finding -> 'outOfRangeRate', finding -> 'out_of_range', finding -> 'outOfRange') AS out_of_range,
             COALESCE(finding -> 'unseen_categories', finding -> 'unseenCategories', finding -> 'new_categories') AS unseen
      FROM dq_entries
    ), dq_findings AS (
      SELECT run_id, time, feature,
             ${jsonNumber('missing')} AS missing_rate,
             ${jsonNumber('out_of_range')} AS out_of_range_rate,
             CASE jsonb_typeof(unseen)
               WHEN 'array' THEN jsonb_array_length(unseen)::double precision
               ELSE ${jsonNumber('unseen')}
             END AS unseen_categories,
             CASE jsonb_typeof(unseen) WHEN 'array' THEN unseen #>> '{}' END AS unseen_examples
      FROM dq_values
    )`;
}

/** A jsonb value as a number: numbers as they are, {"rate"|"count": n} objects by that key, anything else NULL. */
function jsonNumber(column: string): string {
  return `CASE jsonb_typeof(${column})
               WHEN 'number' THEN (${column} #>> '{}')::double precision
               WHEN 'object' THEN CASE WHEN jsonb_typeof(COALESCE(${column} -> 'rate', ${column} -> 'count')) = 'number'
                                       THEN (COALESCE(${column} -> 'rate', ${column} -> 'count') #>> '{}')::double precision END
             END`;
}
