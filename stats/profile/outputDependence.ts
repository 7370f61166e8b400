/**
 * How much the model's output depends on each feature, measured once on the reference: the
 * correlation ratio η² of the prediction grouped by the feature (numerical: its profile quantile
 * bins; categorical: its kept categories, the rest, missing), i.e. the share of the prediction's
 * variance that the feature's value alone explains, in [0, 1]. A drifted feature the model barely
 * reads cannot move the output much; one with a high η² plausibly hurts performance first, so the
 * report ranks drifted features by it. Marginal, not causal: correlated features share credit.
 */
import type { ColumnProfile } from './referenceProfile';
import type { DataWindow } from '../types';
import { countBelow } from './sortedColumn';

export function outputDependence(window: DataWindow, columns: ColumnProfile[]): Record<string, number> | null {
  const prediction = window.prediction;
  if (!prediction || window.rows < 2) return null;
  let n = 0;
  let mean = 0;
  for (let i = 0; i < window.rows; i++) {
    if (Number.isFinite(prediction[i])) {
      n++;
      mean += prediction[i];
    }
  }
  if (n < 2) return null;
  mean /= n;
  let total = 0;
  for (let i = 0; i < window.rows; i++) if (Number.isFinite(prediction[i])) total += (prediction[i] - mean) ** 2;
  const result: Record<string, number> = {};
  for (const column of columns) {
    const group = new Int32Array(window.rows);
    let groups: number;
    if (column.type === 'numerical') {
      const values = window.numerical[column.name];
      const edges = column.binEdges;
      groups = edges.length + 2;
      for (let i = 0; i < window.rows; i++) {
        const v = values[i];
        if (!Number.isFinite(v)) continue;
        group[i] = countBelow(edges, v) + 1;
      }
    } else {
      const values = window.categorical[column.name];
      const index = new Map(column.categories.map((c, j) => [c, j + 2]));
      groups = column.categories.length + 2;
      for (let i = 0; i < window.rows; i++) {
        const v = values[i];
        group[i] = v === null || v === undefined ? 0 : (index.get(v) ?? 1);
      }
    }
    const sums = new Float64Array(groups);
    const counts = new Float64Array(groups);
    for (let i = 0; i < window.rows; i++) {
      if (!Number.isFinite(prediction[i])) continue;
      sums[group[i]] += prediction[i];
      counts[group[i]]++;
    }
    let between = 0;
    for (let g = 0; g < groups; g++) if (counts[g] > 0) between += counts[g] * (sums[g] / counts[g] - mean) ** 2;
    result[column.name] = total > 0 ? Math.min(1, between / total) : 0;
  }
  return result;
}
