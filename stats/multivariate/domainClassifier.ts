/**
 * Multivariate drift by a domain classifier: label the profile's joint reference sample 0 and a
 * sample of the current window 1, train gradient-boosted shallow trees to tell them apart, and
 * measure 3-fold cross-validated ROC AUC. AUC near 0.5 means the two are indistinguishable;
 * above `aucThreshold` (default 0.6) the joint distribution has drifted, even when every marginal
 * is unchanged (e.g. a correlation flipped sign). Features: numerical columns in 16 quantile bins
 * of the pooled sample plus a missing bin; categorical columns one-hot over the reference's ten
 * most frequent categories plus one column for all others; and the scores on the principal axes
 * of the reference's correlation matrix (stored in the profile, from up to 50,000 training rows)
 * whose variance is below 0.5 or above 1.5, i.e. where the reference has real correlation
 * structure (named pc1, pc2, ... in `topFeatures`). Trees grow greedily, so they cannot find a
 * pure interaction whose first split gains nothing on its own (the XOR problem); along a principal
 * axis a change of correlation is a change of spread, which the first split sees. The axes come
 * from the full training data, not from the rows the classifier trains on, so that their fitting
 * noise cannot separate reference rows from current ones.
 * Known limit: a correlation that appears between features independent in the reference is seen
 * only through the trees' interactions, weakly when there are many features.
 * At 1,000 + 1,000 rows the out-of-fold AUC of indistinguishable samples has a standard error of
 * about 0.013, so 0.6 is over 7 standard errors away: a false alarm needs a real difference.
 */
import { rocAuc } from '../metrics/index';
import type { ReferenceCorrelation, ReferenceProfile } from '../profile/referenceProfile';
import type { DataWindow } from '../types';
import { seededRandom } from '../estimation/seededRandom';
import { DEFAULT_BOOSTING, predictBoostedTrees, trainBoostedTrees, type BinnedFeatures } from './boostedTrees';
import { symmetricEigen } from './principalComponents';
import { countBelow } from '../profile/sortedColumn';

export interface MultivariateDriftOptions {
  aucThreshold: number;
  /** Current rows used (evenly strided through the window). */
  sampleRows: number;
  folds: number;
  seed: number;
}

export interface MultivariateDriftResult {
  test: 'domain_classifier';
  /** Cross-validated ROC AUC of reference vs current; null when there were too few rows. */
  auc: number | null;
  threshold: number;
  drifted: boolean;
  referenceRows: number;
  currentRows: number;
  /** Features that separate reference from current most (share of total split gain), top 5. */
  topFeatures: { feature: string; importance: number }[];
  reason?: string;
}

const NUMERICAL_BINS = 16;
const TOP_CATEGORIES = 10;

export function multivariateDrift(
  profile: ReferenceProfile,
  window: DataWindow,
  opts: Partial<MultivariateDriftOptions> = {},
): MultivariateDriftResult {
  const options: MultivariateDriftOptions = { aucThreshold: 0.6, sampleRows: 1_000, folds: 3, seed: 1, ...opts };
  const reference = profile.jointSample;
  const currentRows = Math.min(options.sampleRows, window.rows);
  const result: MultivariateDriftResult = {
    test: 'domain_classifier',
    auc: null,
    threshold: options.aucThreshold,
    drifted: false,
    referenceRows: reference.rows,
    currentRows,
    topFeatures: [],
  };
  if (reference.rows < 50 || currentRows < 50) {
    result.reason = `needs at least 50 reference and 50 current rows (has ${reference.rows} and ${currentRows})`;
    return result;
  }
  const currentIndex = new Uint32Array(currentRows);
  for (let i = 0; i < currentRows; i++) currentIndex[i] = Math.floor(((i + 0.5) * window.rows) / currentRows);
  const n = reference.rows + currentRows;
  const labels = new Float64Array(n);
  labels.fill(1, reference.rows);

  const data: BinnedFeatures = { columns: [], bins: [] };
  const owner: string[] = [];
  // Standardized numerical columns (missing = the reference mean, 0) for the principal components.
  const standardized = new Map<string, Float64Array>();
  for (const column of profile.columns) {
    if (column.type === 'numerical') {
      const ref = reference.numerical[column.name];
      const cur = window.numerical[column.name];
      if (!ref || !cur) continue;
      const pooled = new Float64Array(n);
      for (let i = 0; i < reference.rows; i++) pooled[i] = ref[i] ?? NaN;
      for (let i = 0; i < currentRows; i++) {
        const v: unknown = cur[currentIndex[i]];
        pooled[reference.rows + i] = typeof v === 'number' ? v : NaN;
      }
      const mean = column.mean ?? 0;
      const std = column.std && column.std > 0 ? column.std : 1;
      standardized.set(
        column.name,
        Float64Array.from(pooled, (v) => (Number.isFinite(v) ? (v - mean) / std : 0)),
      );
      const { column: binned, bins } = quantileBins(pooled);
      data.columns.push(binned);
      data.bins.push(bins);
      owner.push(column.name);
    } else {
      const ref = reference.categorical[column.name];
      const cur = window.categorical[column.name];
      if (!ref || !cur) continue;
      const top = column.categories.slice(0, TOP_CATEGORIES);
      const onehots = top.map(() => new Uint8Array(n));
      const other = new Uint8Array(n);
      const at = new Map(top.map((c, i) => [c, i]));
      for (let i = 0; i < n; i++) {
        const v = i < reference.rows ? ref[i] : cur[currentIndex[i - reference.rows]];
        if (v === null || v === undefined) continue;
        const k = typeof v === 'string' ? at.get(v) : undefined;
        if (k === undefined) other[i] = 1;
        else onehots[k][i] = 1;
      }
      for (const onehot of [...onehots, other]) {
        data.columns.push(onehot);
        data.bins.push(2);
        owner.push(column.name);
      }
    }
  }
  if (profile.correlation) addPrincipalComponents(profile.correlation, standardized, data, owner);
  if (data.columns.length === 0) {
    result.reason = 'no feature is present in both the joint reference sample and the window';
    return result;
  }

  // Stratified folds: shuffle each class and deal its rows round-robin.
  const random = seededRandom(options.seed);
  const fold = new Uint8Array(n);
  for (const [from, to] of [
    [0, reference.rows],
    [reference.rows, n],
  ]) {
    const idx = Array.from({ length: to - from }, (_, i) => from + i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    idx.forEach((row, i) => (fold[row] = i % options.folds));
  }
  const outOfFold = new Float64Array(n);
  const gain = new Float64Array(data.columns.length);
  for (let f = 0; f < options.folds; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? test : train).push(i);
    const testRows = Uint32Array.from(test);
    const model = trainBoostedTrees(data, labels, Uint32Array.from(train), DEFAULT_BOOSTING);
    const margins = predictBoostedTrees(model, data, testRows);
    for (let i = 0; i < testRows.length; i++) outOfFold[testRows[i]] = margins[i];
    for (let c = 0; c < gain.length; c++) gain[c] += model.gain[c];
  }
  const auc = rocAuc(labels, outOfFold);
  result.auc = Number.isFinite(auc) ? auc : null;
  result.drifted = result.auc !== null && result.auc > options.aucThreshold;

  const byFeature = new Map<string, number>();
  let total = 0;
  for (let c = 0; c < gain.length; c++) {
    byFeature.set(owner[c], (byFeature.get(owner[c]) ?? 0) + gain[c]);
    total += gain[c];
  }
  result.topFeatures = [...byFeature.entries()]
    .filter((e) => e[1] > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([feature, g]) => ({ feature, importance: total > 0 ? g / total : 0 }));
  return result;
}

/** Adds each row's scores on the reference's principal axes that carry correlation structure. */
function addPrincipalComponents(
  correlation: ReferenceCorrelation,
  standardized: Map<string, Float64Array>,
  data: BinnedFeatures,
  owner: string[],
): void {
  const columns = correlation.features.map((name) => standardized.get(name));
  if (columns.some((c) => c === undefined)) return;
  const f = columns.length;
  const n = columns[0]!.length;
  const { values, vectors } = symmetricEigen(Float64Array.from(correlation.matrix), f);
  const scores = new Float64Array(n);
  for (let k = 0; k < f; k++) {
    if (values[k] >= 0.5 && values[k] <= 1.5) continue;
    scores.fill(0);
    for (let j = 0; j < f; j++) {
      const w = vectors[k * f + j];
      const column = columns[j]!;
      for (let i = 0; i < n; i++) scores[i] += w * column[i];
    }
    const { column: binned, bins } = quantileBins(scores);
    data.columns.push(binned);
    data.bins.push(bins);
    owner.push(`pc${k + 1}`);
  }
}

/** Bin 0 for missing, then up to NUMERICAL_BINS quantile bins of the finite values. */
function quantileBins(values: Float64Array): { column: Uint8Array; bins: number } {
  const finite = values.filter((v) => Number.isFinite(v)).sort();
  const edges: number[] = [];
  for (let j = 1; j < NUMERICAL_BINS; j++) {
    const e = finite[Math.floor((j * finite.length) / NUMERICAL_BINS)];
    if (e !== undefined && (edges.length === 0 || e > edges[edges.length - 1])) edges.push(e);
  }
  const column = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    column[i] = countBelow(edges, v) + 1;
  }
  return { column, bins: edges.length + 2 };
}
