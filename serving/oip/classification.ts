/**
 * Triton's classification extension: a requested output with `parameters.classification = k` comes back as a
 * BYTES tensor [N, min(k, C)] instead of its raw values: per row, the k highest-valued elements in descending
 * order, each as "<value>:<index>" or "<value>:<index>:<label>" when the output's class labels are known (the
 * model's target classes for `probabilities`). The value is printed as Triton prints it (six decimals). Ties keep
 * the lower index first. BYTES outputs (label, prediction_id) cannot be classified: 400 naming the output.
 */
import { InputError } from '../featureInput';
import type { OipOutputTensor, OipRequestedOutput } from './infer';

export const CLASSIFICATION_EXTENSION = 'classification';

export function notClassifiable(model: string, output: string): string {
  return `model ${model}: output "${output}" holds BYTES, which cannot be classified; ask parameters.classification of a numeric output (probabilities, score or value)`;
}

/** The `classification` parameter of a requested output: null when absent, else a positive integer (or 400). */
export function classCount(model: string, output: OipRequestedOutput): number | null {
  const raw = output.parameters?.classification;
  if (raw === undefined || raw === null) return null;
  const k = typeof raw === 'string' && /^[0-9]+$/.test(raw) ? Number(raw) : raw;
  if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 1) {
    throw new InputError(
      `model ${model}: output "${output.name}": parameters.classification must be a positive integer (the number of top classes per row), got ${JSON.stringify(raw)}`,
    );
  }
  return k;
}

/**
 * The top-k classification of `tensor` ([N] or [N, C], numbers; null stands for NaN and ranks last), with
 * `labels[index]` appended when given.
 */
export function classify(
  model: string,
  tensor: OipOutputTensor,
  k: number,
  labels: readonly string[] | null,
): OipOutputTensor {
  if (tensor.datatype === 'BYTES') {
    throw new InputError(notClassifiable(model, tensor.name));
  }
  const n = tensor.shape[0];
  const c = tensor.shape.length > 1 ? tensor.shape.slice(1).reduce((a, b) => a * b, 1) : 1;
  const count = Math.min(k, c);
  const values = tensor.data as Array<number | null>;
  const out: string[] = new Array<string>(n * count);
  const order = new Array<number>(c);
  for (let row = 0; row < n; row++) {
    const base = row * c;
    for (let j = 0; j < c; j++) order[j] = j;
    const at = (j: number) => values[base + j] ?? -Infinity;
    order.sort((a, b) => at(b) - at(a) || a - b);
    for (let r = 0; r < count; r++) {
      const index = order[r];
      const v = values[base + index];
      const text = `${v === null ? 'nan' : v.toFixed(6)}:${index}`;
      const label = labels?.[index];
      out[row * count + r] = label === undefined ? text : `${text}:${label}`;
    }
  }
  return { name: tensor.name, datatype: 'BYTES', shape: [n, count], data: out };
}
