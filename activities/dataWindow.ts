/** Turns labeled feature rows (a retrain dataset) into the statistics engine's columnar DataWindow. */
import type { FeatureSpec, Task } from '../config/model';
import type { FeatureRow } from '../onnx/model';
import { windowColumn, type DataWindow } from '../stats/index';
import { encodeLabel } from '../store/window';

export function rowsToDataWindow(
  features: FeatureSpec[],
  task: Task,
  classes: string[] | undefined,
  rows: readonly FeatureRow[],
  labels: readonly string[],
  prediction: Float64Array,
): DataWindow {
  const n = rows.length;
  const numerical: Record<string, Float64Array> = {};
  const categorical: Record<string, (string | null)[]> = {};
  for (const f of features) {
    if (f.type === 'numerical') {
      const column = windowColumn(n);
      for (let i = 0; i < n; i++) {
        const v = rows[i][f.name];
        column[i] = typeof v === 'number' ? v : v === null || v === undefined || v === '' ? NaN : Number(v);
      }
      numerical[f.name] = column;
    } else {
      const column = new Array<string | null>(n);
      for (let i = 0; i < n; i++) {
        const v = rows[i][f.name];
        column[i] = v === null || v === undefined ? null : String(v);
      }
      categorical[f.name] = column;
    }
  }
  const classIndex = new Map((classes ?? []).map((c, i) => [c, i]));
  const encoded = new Float64Array(n);
  for (let i = 0; i < n; i++) encoded[i] = encodeLabel(labels[i], task, classIndex);
  return { rows: n, numerical, categorical, prediction, labels: encoded };
}
