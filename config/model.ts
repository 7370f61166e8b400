/**
 * What a registered model is: its features, its target and the policy that watches it.
 * Validated with zod at every boundary (CLI files, HTTP admin calls, rows read back).
 */
import { z } from 'zod';
import { deployPolicySchema } from './deployTargets';
import { checkFeatureSources, featureSourceSchema } from '../features/definition';
import { defaultMetric, metricProblem } from '../stats/metrics/registry';
import { driftPolicyProblems, driftPolicySchema } from '../stats/policy/driftPolicy';

/**
 * The drift policy (stats/policy/driftPolicy.ts) as a model carries it: validated and filled
 * with its defaults at registration. `minRows` is left unset unless given: the monitor then uses
 * policy.monitor.minRows for it.
 */
export const modelDriftPolicySchema = driftPolicySchema.extend({
  minRows: z.number().int().min(1).optional(),
});

export const featureSpecSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'feature names are identifiers: letters, digits, _'),
    type: z.enum(['numerical', 'categorical']),
    /** Allowed range for numerical features; values outside are data-quality findings, not errors. */
    min: z.number().optional(),
    max: z.number().optional(),
    /** Known categories for categorical features. */
    categories: z.array(z.string()).optional(),
    /** Where the value comes from: request (default), batch or stream (features/definition.ts). */
    source: featureSourceSchema.optional(),
  })
  .strict();
export type FeatureSpec = z.infer<typeof featureSpecSchema>;

export const featureSchemaSchema = z
  .array(featureSpecSchema)
  .min(1, 'a model needs at least one feature')
  .refine((fs) => new Set(fs.map((f) => f.name)).size === fs.length, 'feature names must be unique');

export const taskSchema = z.enum(['binary', 'multiclass', 'regression']);
export type Task = z.infer<typeof taskSchema>;

export const targetSchema = z
  .object({
    name: z.string().min(1),
    /** Class labels in the order of the model's probability output (classification only). */
    classes: z.array(z.string()).optional(),
  })
  .strict();
export type TargetSpec = z.infer<typeof targetSchema>;

const builtinTrainer = z
  .object({
    type: z.literal('builtin'),
    algorithm: z.enum(['logistic_regression', 'ridge', 'gbdt']),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
const externalTrainer = z
  .object({
    type: z.literal('external'),
    /** argv; driftloop appends --train, --holdout, --schema, --output, --metrics paths. */
    command: z.array(z.string()).min(1),
    timeoutSeconds: z.number().int().positive().default(3600),
    format: z.enum(['csv']).default('csv'),
  })
  .strict();

export const modelPolicySchema = z
  .object({
    monitor: z
      .object({
        // Production cadences are 1 minute and up; shorter ones exist for demos and tests.
        intervalMinutes: z.number().min(0.1).max(1440).default(10),
        /** Longest window a run looks back over; the window is "since the last run" up to this. */
        maxWindowMinutes: z.number().positive().default(60),
        /** Rows drawn from the window at most (uniform sample when the window has more). */
        maxSampleRows: z.number().int().min(100).default(20_000),
        /** Windows with fewer rows are recorded as insufficient_data and never judged. */
        minRows: z.number().int().min(1).default(200),
      })
      .strict()
      .prefault({}),
    /** The drift policy for the statistics engine (tests per feature, alpha, persistence...). */
    drift: modelDriftPolicySchema.prefault({}),
    performance: z
      .object({
        /** A metric of the registry (stats/metrics/registry.ts) for the model's task; default accuracy, or rmse for regression. */
        metric: z.string().optional(),
        /** Absolute floor: below it the model has decayed. */
        floor: z.number().optional(),
        /** Decay when the metric falls this far below the reference (training holdout) value. */
        maxDrop: z.number().min(0).default(0.05),
        minLabeledRows: z.number().int().min(1).default(100),
      })
      .strict()
      .prefault({}),
    retrain: z
      .object({
        enabled: z.boolean().default(true),
        trainer: z
          .discriminatedUnion('type', [builtinTrainer, externalTrainer])
          .prefault({ type: 'builtin', algorithm: 'logistic_regression' }),
        /** Recent labeled traffic to add to the reference data, in hours. */
        recentWindowHours: z.number().positive().default(24),
        includeReference: z.boolean().default(true),
        holdoutFraction: z.number().gt(0).lt(1).default(0.2),
        /** The challenger must beat the champion on the holdout by at least this much. */
        minImprovement: z.number().min(0).default(0.005),
        approval: z
          .object({
            required: z.boolean().default(false),
            timeoutMinutes: z.number().positive().default(60),
            onTimeout: z.enum(['approve', 'reject']).default('reject'),
          })
          .strict()
          .prefault({}),
        shadowMinutes: z.number().min(0).default(0),
        canaryShare: z.number().min(0).max(1).default(0.1),
        canaryMinutes: z.number().min(0).default(0),
        observeMinutes: z.number().min(0).default(0),
        /** Roll back when the live metric after promotion falls this far below the old champion's. */
        rollbackMargin: z.number().min(0).default(0.02),
        /** After a rejected or failed retrain, wait this long before another (decay after a drift-triggered one does not wait). */
        backoffMinutes: z.number().min(0).default(60),
      })
      .strict()
      .prefault({}),
    /**
     * The reference profile kept per version (stats/profile). sampleSize: sorted reference values
     * per numerical feature that the KS p-values compare against. 5,000 by evidence (bench:stats,
     * section sample): at the drift policy's 0.1 sd effect floor it detects 98% of shifts in
     * 20,000-row windows against 100% at 20,000 values, which only add power below the floor
     * (where nothing is flagged anyway) at 4× the profile size.
     */
    profile: z
      .object({ sampleSize: z.number().int().min(100).max(1_000_000).default(5_000) })
      .strict()
      .prefault({}),
    alerts: z
      .object({
        severity: z.enum(['info', 'warning', 'critical']).default('critical'),
        /** Sink names to route to; empty means every configured sink. */
        sinks: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
    /**
     * buffered: answer, then COPY within ~50 ms (a crash loses the buffered rows, counted by
     * driftloop_log_queue_rows); durable: answer only once the rows are committed (batched).
     */
    predictionLog: z
      .object({ mode: z.enum(['buffered', 'durable']).default('buffered') })
      .strict()
      .prefault({}),
    /** Where new versions go on each stage change (config/deployTargets.ts). */
    deploy: deployPolicySchema,
  })
  .strict();
export type ModelPolicy = z.infer<typeof modelPolicySchema>;

export const modelDefinitionSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'model names are lowercase letters, digits, - and _'),
    task: taskSchema,
    features: featureSchemaSchema,
    target: targetSchema,
    policy: modelPolicySchema.prefault({}),
    description: z.string().default(''),
  })
  .strict()
  .superRefine((m, ctx) => {
    checkFeatureSources(m.features, ctx);
    if (m.task !== 'regression' && (!m.target.classes || m.target.classes.length < 2)) {
      ctx.addIssue({
        code: 'custom',
        path: ['target', 'classes'],
        message: `a ${m.task} model needs target.classes (at least 2)`,
      });
    }
    if (m.task === 'binary' && m.target.classes && m.target.classes.length !== 2) {
      ctx.addIssue({ code: 'custom', path: ['target', 'classes'], message: 'a binary model has exactly 2 classes' });
    }
    for (const issue of policyProblems(m.policy, m.task, m.features)) ctx.addIssue(issue);
  });
export type ModelDefinition = z.infer<typeof modelDefinitionSchema>;

/**
 * What a parsed policy gets wrong about the model it belongs to: a performance metric the
 * registry does not have for the task, drift overrides of features the model lacks or with tests
 * that do not accept their type. Paths start at the model definition (`policy.…`).
 */
export function policyProblems(
  policy: ModelPolicy,
  task: Task,
  features: readonly FeatureSpec[],
): { code: 'custom'; path: string[]; message: string }[] {
  const problems: { code: 'custom'; path: string[]; message: string }[] = [];
  const metric = metricProblem(policy.performance.metric ?? defaultMetric(task), task);
  if (metric) problems.push({ code: 'custom', path: ['policy', 'performance', 'metric'], message: metric });
  for (const p of driftPolicyProblems(policy.drift, features)) {
    problems.push({ code: 'custom', path: ['policy', 'drift', ...p.path], message: p.message });
  }
  return problems;
}

/** A model definition or policy that does not validate; the message names every wrong field. */
export class ModelDefinitionError extends Error {
  override name = 'ModelDefinitionError';
}

/** Formats zod issues as "path: message" joined, for errors a person can act on. */
export function describeIssues(error: z.ZodError, prefix = ''): string {
  return error.issues.map((i) => `${prefix}${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}
