/**
 * Performance of a version on a window: realized from labels when enough arrived, otherwise
 * estimated from the calibrated scores (confidence-based estimation, binary models only), and
 * judged against the policy: below the floor, or below the reference value by maxDrop, is decay.
 */
import type { ModelPolicy, Task } from '../config/model';
import { defaultMetric, getMetric, storedMetric, type DataWindow, type ReferenceProfile } from '../stats/index';
import { estimatedMetric, metricValue } from './liveMetrics';

export interface PerformanceVerdict {
  metric: string;
  value: number;
  /** The version's value on its training holdout, when registered with it. */
  reference: number | null;
  /** True when measured from labels; false when estimated from calibrated scores. */
  realized: boolean;
  labeledRows: number;
  decayed: boolean;
  reason: string;
}

/** Whether a larger value of the metric is better (the metric registry's direction). */
export function higherIsBetter(metric: string): boolean {
  return getMetric(metric).higherIsBetter;
}

export { defaultMetric };

export interface PerformanceInput {
  task: Task;
  policy: ModelPolicy['performance'];
  reference: Record<string, number>;
  window: DataWindow;
  predictedClass: Float64Array | null;
  labeledRows: number;
  profile: ReferenceProfile;
}

export function judgePerformance(input: PerformanceInput): PerformanceVerdict | null {
  const metric = input.policy.metric ?? defaultMetric(input.task);
  const reference = storedMetric(input.reference, metric);
  let value: number | null = null;
  let realized = false;
  if (input.labeledRows >= input.policy.minLabeledRows && input.window.labels) {
    value = metricValue(metric, input.task, input.window.labels, input.window.prediction!, input.predictedClass);
    realized = value !== null;
  } else if (input.task === 'binary' && input.profile.calibration && input.window.prediction) {
    value = estimatedMetric(metric, input.profile.calibration, input.window.prediction);
  }
  if (value === null) return null;
  const up = higherIsBetter(metric);
  const belowFloor = input.policy.floor !== undefined && (up ? value < input.policy.floor : value > input.policy.floor);
  const dropped =
    reference !== null && (up ? value < reference - input.policy.maxDrop : value > reference + input.policy.maxDrop);
  const how = realized ? `on ${input.labeledRows} labeled rows` : 'estimated from calibrated scores';
  const reason = belowFloor
    ? `${metric} ${round(value)} ${how} is past the floor ${input.policy.floor}`
    : dropped
      ? `${metric} ${round(value)} ${how} is more than ${input.policy.maxDrop} worse than the reference ${round(reference!)}`
      : `${metric} ${round(value)} ${how}`;
  return { metric, value, reference, realized, labeledRows: input.labeledRows, decayed: belowFloor || dropped, reason };
}

function round(v: number): number {
  return Number(v.toPrecision(4));
}
