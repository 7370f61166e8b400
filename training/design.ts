/**
 * The preprocessing that a built-in model carries inside its ONNX graph, fitted on training rows:
 * numerical features → mean imputation of missing values (NaN), optionally standardized;
 * categorical features → one-hot over known categories ('' / null / unseen → all zeros).
 * `encodeDesign` computes in memory exactly what training/onnxGraph.ts's preprocessing nodes compute.
 */
import type { FeatureSpec } from '../config/model';
import type { FeatureRow, FeatureValue } from '../onnx/model';

/** Categories learned from data when the schema lists none are capped, most frequent first. */
const MAX_LEARNED_CATEGORIES = 64;

export interface NumericalStep {
  name: string;
  /** Replaces missing values (training mean). */
  fill: number;
  /** Standardization: (x - offset) * scale; offset 0 and scale 1 when not standardizing. */
  offset: number;
  scale: number;
}

export interface CategoricalStep {
  name: string;
  categories: string[];
}

export interface DesignPlan {
  numerical: NumericalStep[];
  categorical: CategoricalStep[];
  standardize: boolean;
  /** Columns of the design matrix: numerical first (schema order), then each one-hot block. */
  width: number;
  columnNames: string[];
}

/** A column-major design matrix: column j is values[j*n .. (j+1)*n). */
export interface DesignMatrix {
  n: number;
  width: number;
  values: Float64Array;
}

export function toNumber(v: FeatureValue): number {
  if (v === null || v === undefined || v === '') return NaN;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return typeof v === 'number' ? v : Number(v);
}

export function toCategory(v: FeatureValue): string {
  return v === null || v === undefined ? '' : String(v);
}

/**
 * The raw features as typed columns, read from rows in one row-major pass (the only per-row object
 * access of a fit): numerical → Float64Array (NaN = missing), categorical → string[] ('' = missing).
 */
export interface FeatureColumns {
  n: number;
  numerical: Map<string, Float64Array>;
  categorical: Map<string, string[]>;
}

export function readColumns(features: FeatureSpec[], rows: readonly FeatureRow[]): FeatureColumns {
  const n = rows.length;
  const numNames = features.filter((f) => f.type === 'numerical').map((f) => f.name);
  const catNames = features.filter((f) => f.type === 'categorical').map((f) => f.name);
  const num = numNames.map(() => new Float64Array(n));
  const cat = catNames.map(() => new Array<string>(n));
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    for (let j = 0; j < numNames.length; j++) {
      const v = row[numNames[j]];
      num[j][i] = typeof v === 'number' ? v : toNumber(v);
    }
    for (let j = 0; j < catNames.length; j++) cat[j][i] = toCategory(row[catNames[j]]);
  }
  return {
    n,
    numerical: new Map(numNames.map((name, j) => [name, num[j]])),
    categorical: new Map(catNames.map((name, j) => [name, cat[j]])),
  };
}

export function fitDesign(features: FeatureSpec[], columns: FeatureColumns, standardize: boolean): DesignPlan {
  const n = columns.n;
  const numerical: NumericalStep[] = [];
  const categorical: CategoricalStep[] = [];
  for (const f of features) {
    if (f.type === 'numerical') {
      const x = columns.numerical.get(f.name)!;
      let sum = 0;
      let count = 0;
      for (let i = 0; i < n; i++) {
        if (Number.isFinite(x[i])) {
          sum += x[i];
          count++;
        }
      }
      const mean = count ? sum / count : 0;
      let ss = 0;
      for (let i = 0; i < n; i++) if (Number.isFinite(x[i])) ss += (x[i] - mean) ** 2;
      // Population standard deviation (as scikit-learn's StandardScaler); imputed values sit at the mean.
      const std = Math.sqrt(ss / Math.max(n, 1));
      numerical.push({
        name: f.name,
        fill: mean,
        offset: standardize ? mean : 0,
        scale: standardize && std > 1e-12 ? 1 / std : 1,
      });
    } else {
      let categories = f.categories;
      if (!categories || categories.length === 0) {
        const values = columns.categorical.get(f.name)!;
        const counts = new Map<string, number>();
        for (let i = 0; i < n; i++) if (values[i] !== '') counts.set(values[i], (counts.get(values[i]) ?? 0) + 1);
        categories = [...counts.entries()]
          .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
          .slice(0, MAX_LEARNED_CATEGORIES)
          .map(([c]) => c);
      }
      categorical.push({ name: f.name, categories: [...categories] });
    }
  }
  const columnNames = [
    ...numerical.map((s) => s.name),
    ...categorical.flatMap((s) => s.categories.map((c) => `${s.name}=${c}`)),
  ];
  return { numerical, categorical, standardize, width: columnNames.length, columnNames };
}

/**
 * Encodes feature columns into the design matrix. With `float32`, numerical values go through the
 * float32 rounding that the ONNX graph's float inputs apply, so tree thresholds see the same numbers.
 */
export function encodeDesign(plan: DesignPlan, columns: FeatureColumns, float32 = false): DesignMatrix {
  const n = columns.n;
  const values = new Float64Array(plan.width * n);
  let col = 0;
  for (const s of plan.numerical) {
    const x = columns.numerical.get(s.name)!;
    const base = col * n;
    const fill = float32 ? Math.fround(s.fill) : s.fill;
    for (let i = 0; i < n; i++) {
      const v = float32 ? Math.fround(x[i]) : x[i];
      values[base + i] = ((v !== v ? fill : v) - s.offset) * s.scale;
    }
    col++;
  }
  for (const s of plan.categorical) {
    const x = columns.categorical.get(s.name)!;
    const index = new Map(s.categories.map((c, k) => [c, k]));
    for (let i = 0; i < n; i++) {
      const k = index.get(x[i]);
      if (k !== undefined) values[(col + k) * n + i] = 1;
    }
    col += s.categories.length;
  }
  return { n, width: plan.width, values };
}
