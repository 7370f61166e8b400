/**
 * The performance-metric registry (as the drift-test registry in ../registry): every metric a
 * policy may name, with the tasks it applies to, its direction, how it is realized from labeled
 * rows and which estimator (CBPE for classifiers, DLE for regression) can estimate it before the
 * labels arrive. Holdout metrics at registration, live metrics in monitoring and retraining, the
 * policy's validation and the estimates all read it, so a name means the same thing everywhere.
 */
import { accuracy } from './accuracy';
import { brierScore } from './brierScore';
import { f1 } from './f1';
import { logLoss } from './logLoss';
import { mae } from './mae';
import { mape } from './mape';
import { prAuc } from './prAuc';
import { precision } from './precision';
import { r2 } from './r2';
import { recall } from './recall';
import { rmse } from './rmse';
import { rocAuc } from './rocAuc';

export type MetricTask = 'binary' | 'multiclass' | 'regression';

/** Labeled rows, aligned. */
export interface LabeledPredictions {
  /** The true class index (classification) or value (regression). */
  yTrue: Float64Array;
  /** P(positive class) for binary models; the predicted value for regression; unused for multiclass. */
  yScore: Float64Array;
  /** The predicted class index (classification); the predicted value for regression. */
  yPred: Float64Array;
}

/** The name of a metric in CBPE's output (BinaryPerformance, ClassificationPerformance). */
export type ClassificationEstimateKey = 'accuracy' | 'precision' | 'recall' | 'f1' | 'rocAuc';
/** The name of a metric in DLE's output (RegressionPerformance). */
export type RegressionEstimateKey = 'mae' | 'rmse';
export type EstimateKey = ClassificationEstimateKey | RegressionEstimateKey;

export interface PerformanceMetric {
  /** Stable identifier used in policies and as the key of a version's stored metrics. */
  name: string;
  /** What a person reads. */
  title: string;
  tasks: readonly MetricTask[];
  higherIsBetter: boolean;
  /** How the metric is computed from labeled rows (one of `tasks`); throws a RangeError where undefined (e.g. one class for ROC AUC). */
  realized(task: MetricTask, rows: LabeledPredictions): number;
  /** Per task, the estimator output that estimates it before labels; absent: not estimable for that task. */
  estimable: {
    binary?: ClassificationEstimateKey;
    multiclass?: ClassificationEstimateKey;
    regression?: RegressionEstimateKey;
  };
  /** Other keys older versions stored this metric under, read when the name itself is absent. */
  storedAs?: readonly string[];
}

const CLASSIFICATION = ['binary', 'multiclass'] as const;
const averageFor = (task: MetricTask) => ({ average: task === 'binary' ? ('binary' as const) : ('macro' as const) });

const registry = new Map<string, PerformanceMetric>();

function registerMetric(metric: PerformanceMetric): PerformanceMetric {
  if (registry.has(metric.name)) throw new Error(`metric ${metric.name} is registered twice`);
  registry.set(metric.name, metric);
  return metric;
}

registerMetric({
  name: 'accuracy',
  title: 'Accuracy',
  tasks: CLASSIFICATION,
  higherIsBetter: true,
  realized: (_task, r) => accuracy(r.yTrue, r.yPred),
  estimable: { binary: 'accuracy', multiclass: 'accuracy' },
});
registerMetric({
  name: 'precision',
  title: 'Precision (macro for multiclass)',
  tasks: CLASSIFICATION,
  higherIsBetter: true,
  realized: (task, r) => precision(r.yTrue, r.yPred, averageFor(task)),
  estimable: { binary: 'precision', multiclass: 'precision' },
});
registerMetric({
  name: 'recall',
  title: 'Recall (macro for multiclass)',
  tasks: CLASSIFICATION,
  higherIsBetter: true,
  realized: (task, r) => recall(r.yTrue, r.yPred, averageFor(task)),
  estimable: { binary: 'recall', multiclass: 'recall' },
});
registerMetric({
  name: 'f1',
  title: 'F1 (macro for multiclass)',
  tasks: CLASSIFICATION,
  higherIsBetter: true,
  realized: (task, r) => f1(r.yTrue, r.yPred, averageFor(task)),
  estimable: { binary: 'f1', multiclass: 'f1' },
  // Multiclass versions registered before the registry stored their macro F1 only as macro_f1.
  storedAs: ['macro_f1'],
});
registerMetric({
  name: 'macro_f1',
  title: 'Macro F1',
  tasks: ['multiclass'],
  higherIsBetter: true,
  realized: (_task, r) => f1(r.yTrue, r.yPred, { average: 'macro' }),
  estimable: { multiclass: 'f1' },
});
registerMetric({
  name: 'roc_auc',
  title: 'ROC AUC',
  // Multiclass windows carry the predicted class and its score, not every class's probability.
  tasks: ['binary'],
  higherIsBetter: true,
  realized: (_task, r) => rocAuc(r.yTrue, r.yScore),
  estimable: { binary: 'rocAuc' },
  storedAs: ['rocAuc'],
});
registerMetric({
  name: 'pr_auc',
  title: 'Average precision (PR AUC)',
  tasks: ['binary'],
  higherIsBetter: true,
  realized: (_task, r) => prAuc(r.yTrue, r.yScore),
  estimable: {},
  storedAs: ['prAuc'],
});
registerMetric({
  name: 'logloss',
  title: 'Log loss',
  tasks: ['binary'],
  higherIsBetter: false,
  realized: (_task, r) => logLoss(r.yTrue, r.yScore),
  estimable: {},
  storedAs: ['log_loss', 'logLoss'],
});
registerMetric({
  name: 'brier',
  title: 'Brier score',
  tasks: ['binary'],
  higherIsBetter: false,
  realized: (_task, r) => brierScore(r.yTrue, r.yScore),
  estimable: {},
  storedAs: ['brier_score', 'brierScore'],
});
registerMetric({
  name: 'rmse',
  title: 'Root mean squared error',
  tasks: ['regression'],
  higherIsBetter: false,
  realized: (_task, r) => rmse(r.yTrue, r.yPred),
  estimable: { regression: 'rmse' },
});
registerMetric({
  name: 'mae',
  title: 'Mean absolute error',
  tasks: ['regression'],
  higherIsBetter: false,
  realized: (_task, r) => mae(r.yTrue, r.yPred),
  estimable: { regression: 'mae' },
});
registerMetric({
  name: 'mape',
  title: 'Mean absolute percentage error',
  tasks: ['regression'],
  higherIsBetter: false,
  realized: (_task, r) => mape(r.yTrue, r.yPred),
  estimable: {},
});
registerMetric({
  name: 'r2',
  title: 'R²',
  tasks: ['regression'],
  higherIsBetter: true,
  realized: (_task, r) => r2(r.yTrue, r.yPred),
  estimable: {},
});

/** The metric with this name; throws naming the known metrics when there is none. */
export function getMetric(name: string): PerformanceMetric {
  const metric = registry.get(name);
  if (!metric) throw new Error(`unknown metric "${name}"; one of ${[...registry.keys()].join(', ')}`);
  return metric;
}

export function listMetrics(): PerformanceMetric[] {
  return [...registry.values()];
}

/** The metrics that apply to a task, in registry order. */
export function metricsForTask(task: MetricTask): PerformanceMetric[] {
  return listMetrics().filter((m) => m.tasks.includes(task));
}

/** The metric a policy without one is judged by. */
export function defaultMetric(task: MetricTask): string {
  return task === 'regression' ? 'rmse' : 'accuracy';
}

/**
 * Why `name` cannot be a policy metric for `task`, or null when it can: unknown names list the
 * registry, names of another task list the task's metrics.
 */
export function metricProblem(name: string, task: MetricTask): string | null {
  const metric = registry.get(name);
  if (!metric) return `unknown metric "${name}"; one of ${[...registry.keys()].join(', ')}`;
  if (!metric.tasks.includes(task)) {
    return `${name} does not apply to a ${task} model (it is for ${metric.tasks.join(', ')}); one of ${metricsForTask(
      task,
    )
      .map((m) => m.name)
      .join(', ')}`;
  }
  return null;
}

/** `metric` realized on the rows, or null where it is undefined on them (a RangeError, e.g. one class for ROC AUC). */
export function realizedMetric(name: string, task: MetricTask, rows: LabeledPredictions): number | null {
  const metric = getMetric(name);
  if (!metric.tasks.includes(task) || rows.yTrue.length === 0) return null;
  try {
    const value = metric.realized(task, rows);
    return Number.isFinite(value) ? value : null;
  } catch (err) {
    if (err instanceof RangeError) return null;
    throw err;
  }
}

/** Every metric of the task that is defined on the rows, by name (a version's holdout metrics). */
export function realizedMetrics(task: MetricTask, rows: LabeledPredictions): Record<string, number> {
  const out: Record<string, number> = {};
  for (const metric of metricsForTask(task)) {
    const value = realizedMetric(metric.name, task, rows);
    if (value !== null) out[metric.name] = value;
  }
  return out;
}

/** The estimator outputs that estimate some registered metric for the task, each once, in registry order. */
export function estimableKeys(task: MetricTask): EstimateKey[] {
  const keys = listMetrics().flatMap((m) => (m.estimable[task] ? [m.estimable[task]] : []));
  return [...new Set(keys)];
}

/** A version's stored value of the metric, under its name or a key older versions used; null when absent. */
export function storedMetric(metrics: Record<string, number>, name: string): number | null {
  const keys = [name, ...(registry.get(name)?.storedAs ?? [])];
  for (const key of keys) {
    const v = metrics[key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}
