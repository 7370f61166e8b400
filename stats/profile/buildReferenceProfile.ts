/**
 * Builds the reference profile of a model from its training data, once, at registration.
 * See referenceProfile.ts for what is stored and the size bound.
 */
import type { ColumnSchema, DataWindow } from '../types';
import { fitIsotonicCalibration } from '../estimation/isotonicCalibration';
import {
  CORRELATION_ROWS,
  DEFAULT_PROFILE_OPTIONS,
  MAX_CORRELATION_FEATURES,
  PROFILE_FORMAT,
  type CategoricalColumnProfile,
  type JointSample,
  type NumericalColumnProfile,
  type ProfileOptions,
  type ReferenceCorrelation,
  type ReferenceProfile,
} from './referenceProfile';
import { outputDependence } from './outputDependence';
import { countPerBin, meanAndStd, sortFinite } from './sortedColumn';

export function buildReferenceProfile(
  window: DataWindow,
  schema: ColumnSchema[],
  opts: Partial<ProfileOptions> = {},
): ReferenceProfile {
  // An option given as undefined (e.g. an unset policy field) keeps its default.
  const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  const options: ProfileOptions = { ...DEFAULT_PROFILE_OPTIONS, ...given };
  for (const [key, value] of Object.entries(options)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`reference profile option ${key} must be a positive integer, got ${String(value)}`);
    }
  }
  if (!Number.isInteger(window.rows) || window.rows < 0) {
    throw new Error(`reference data: rows must be a non-negative integer, got ${String(window.rows)}`);
  }
  const seen = new Set<string>();
  const columns = schema.map((spec) => {
    if (seen.has(spec.name)) throw new Error(`schema lists feature ${spec.name} twice; feature names must be unique`);
    seen.add(spec.name);
    if (spec.type === 'numerical') {
      const values = window.numerical[spec.name];
      if (!values) {
        throw new Error(
          `reference data has no numerical column for feature ${spec.name}: add it to the training data or remove it from the schema`,
        );
      }
      checkLength(spec.name, values.length, window.rows);
      return profileNumerical(spec.name, values, options, spec);
    }
    if (spec.type === 'categorical') {
      const values = window.categorical[spec.name];
      if (!values) {
        throw new Error(
          `reference data has no categorical column for feature ${spec.name}: add it to the training data or remove it from the schema`,
        );
      }
      checkLength(spec.name, values.length, window.rows);
      return profileCategorical(spec.name, values, options, spec);
    }
    throw new Error(`feature ${spec.name}: type must be numerical or categorical, got ${String(spec.type)}`);
  });

  let prediction: NumericalColumnProfile | null = null;
  if (window.prediction) {
    checkLength('prediction', window.prediction.length, window.rows);
    prediction = profileNumerical('prediction', window.prediction, options);
  }
  let calibration = null;
  if (window.prediction && window.labels) {
    checkLength('labels', window.labels.length, window.rows);
    calibration = fitIsotonicCalibration(window.prediction, window.labels, options.calibrationPoints);
  }

  return {
    format: PROFILE_FORMAT,
    rows: window.rows,
    options,
    columns,
    prediction,
    calibration,
    jointSample: jointSample(window, schema, options.jointSampleSize),
    correlation: correlation(window, columns),
    outputDependence: outputDependence(window, columns),
  };
}

function correlation(window: DataWindow, columns: ReferenceProfile['columns']): ReferenceCorrelation | null {
  const numerical = columns.filter((c): c is NumericalColumnProfile => c.type === 'numerical');
  const f = numerical.length;
  if (f < 2 || f > MAX_CORRELATION_FEATURES || window.rows < 2) return null;
  const rows = Math.min(window.rows, CORRELATION_ROWS);
  const standardized = numerical.map((c) => {
    const values = window.numerical[c.name];
    const mean = c.mean ?? 0;
    const std = c.std && c.std > 0 ? c.std : 1;
    const out = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const v = values[Math.floor(((i + 0.5) * window.rows) / rows)];
      out[i] = Number.isFinite(v) ? (v - mean) / std : 0;
    }
    return out;
  });
  const matrix = new Array<number>(f * f);
  for (let a = 0; a < f; a++) {
    for (let b = a; b < f; b++) {
      let sum = 0;
      const x = standardized[a];
      const y = standardized[b];
      for (let i = 0; i < rows; i++) sum += x[i] * y[i];
      matrix[a * f + b] = matrix[b * f + a] = sum / rows;
    }
  }
  return { features: numerical.map((c) => c.name), matrix };
}

function checkLength(name: string, length: number, rows: number): void {
  if (length !== rows) {
    throw new Error(`reference data: column ${name} has ${length} values but the window has ${rows} rows`);
  }
}

/** Profiles one numerical column; also used for the prediction output. */
export function profileNumerical(
  name: string,
  values: Float64Array,
  options: ProfileOptions,
  spec?: ColumnSchema,
): NumericalColumnProfile {
  const { sorted, missing, nonFinite } = sortFinite(values);
  const n = sorted.length;
  const moments = meanAndStd(sorted);
  const k = options.sampleSize;
  let sample: number[];
  if (n <= k) sample = Array.from(sorted);
  else {
    sample = new Array<number>(k);
    for (let i = 0; i < k; i++) sample[i] = sorted[Math.floor(((i + 0.5) * n) / k)];
  }
  const binEdges: number[] = [];
  if (n > 0) {
    for (let j = 1; j < options.bins; j++) {
      const edge = sorted[Math.min(n - 1, Math.floor((j * n) / options.bins))];
      // Ties collapse quantiles; an edge at the maximum would leave an empty last bin.
      if (edge < sorted[n - 1] && (binEdges.length === 0 || edge > binEdges[binEdges.length - 1])) binEdges.push(edge);
    }
  }
  const profile: NumericalColumnProfile = {
    name,
    type: 'numerical',
    rows: values.length,
    missing,
    nonFinite,
    finite: n,
    mean: moments ? moments.mean : null,
    std: moments ? moments.std : null,
    min: n > 0 ? sorted[0] : null,
    max: n > 0 ? sorted[n - 1] : null,
    sample,
    binEdges,
    binCounts: Array.from(countPerBin(sorted, binEdges)),
  };
  if (spec?.min !== undefined) profile.schemaMin = spec.min;
  if (spec?.max !== undefined) profile.schemaMax = spec.max;
  return profile;
}

function profileCategorical(
  name: string,
  values: (string | null)[],
  options: ProfileOptions,
  spec: ColumnSchema,
): CategoricalColumnProfile {
  const counts = new Map<string, number>();
  let missing = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) missing++;
    else if (typeof v !== 'string') {
      throw new Error(
        `reference data: categorical feature ${name} has a ${typeof v} value at row ${i}; categories must be strings (or null for missing)`,
      );
    } else counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const kept = ranked.slice(0, options.maxCategories);
  let otherCount = 0;
  for (let i = options.maxCategories; i < ranked.length; i++) otherCount += ranked[i][1];
  const profile: CategoricalColumnProfile = {
    name,
    type: 'categorical',
    rows: values.length,
    missing,
    categories: kept.map((e) => e[0]),
    counts: kept.map((e) => e[1]),
    otherCount,
    truncated: ranked.length > options.maxCategories,
  };
  if (spec.categories) profile.schemaCategories = [...spec.categories];
  return profile;
}

/** Evenly strided rows (deterministic, spans the whole training period even when rows are time-ordered). */
function jointSample(window: DataWindow, schema: ColumnSchema[], size: number): JointSample {
  const rows = Math.min(size, window.rows);
  const index = new Array<number>(rows);
  for (let i = 0; i < rows; i++) index[i] = Math.floor(((i + 0.5) * window.rows) / rows);
  const sample: JointSample = { rows, numerical: {}, categorical: {} };
  for (const spec of schema) {
    if (spec.type === 'numerical') {
      const col = window.numerical[spec.name];
      sample.numerical[spec.name] = index.map((r) => (Number.isFinite(col[r]) ? col[r] : null));
    } else {
      const col = window.categorical[spec.name];
      sample.categorical[spec.name] = index.map((r) => col[r] ?? null);
    }
  }
  return sample;
}
