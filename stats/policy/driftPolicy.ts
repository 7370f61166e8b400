/**
 * The drift policy: which tests run and when a window counts as drifted. Built to keep false
 * alarms under control when 50 features are tested every 10 minutes.
 *
 * A feature is FLAGGED in a window when both
 *   1. its p-value, corrected across all tested features and the prediction of the window
 *      (Benjamini-Hochberg by default), is at most `alpha` — distance tests are paired with a
 *      significance test (KS for numerical, chi-square / z-test for categorical) so every
 *      feature has a p-value; and
 *   2. its effect size reaches the floor: for a distance test its own statistic >= its
 *      threshold; for a p-value test the normed Wasserstein distance (numerical, in reference
 *      standard deviations) or the Jensen-Shannon distance (categorical) >= `effectFloor`.
 * It is DRIFTED when flagged in `persistence` consecutive windows (state carried in `history`),
 * and the window's dataset verdict is `drift` when at least `minDriftedFeatures` features (or the
 * prediction) are drifted. Windows with fewer than `minRows` rows are `insufficient_data`.
 *
 * Guarantee (false alarms). When the current rows come from the reference distribution, the
 * probability that a window raises a dataset-level `drift` verdict is at most `alpha`
 * (default 0.01): a verdict needs at least one corrected rejection in that window, and under
 * the global null Benjamini-Hochberg rejects anything with probability at most alpha (its FDR
 * equals its family-wise error there; valid for independent or positively dependent p-values,
 * Bonferroni for any dependence). The effect floor and persistence only remove alarms; with
 * windows drawn independently persistence k brings the bound down to about alpha^k. At 144
 * windows a day, alpha = 0.01 and persistence 2 that is below one false page a month.
 * Caveat: p-values compare against a fixed stored sample of the reference, so the bound holds
 * on average over how that sample was drawn; the effect floor (0.1 sd / 0.1 JS distance, base 2) is what keeps a
 * slightly unrepresentative stored sample from alarming window after window.
 *
 * Detection: with persistence 2 a shift is reported `drift` at the second window it is present
 * (`warning` at the first). At 5,000 rows a 0.25 sd mean shift gives a normed Wasserstein of
 * about 0.25 and a KS p-value far below 1e-10, so both conditions hold with near certainty.
 */
import { z } from 'zod';
import type { ColumnSchema } from '../types';
import { getDriftTest, hasDriftTest, listDriftTests } from '../registry/index';

const testName = z.string().superRefine((name, ctx) => {
  if (!hasDriftTest(name)) {
    ctx.addIssue({
      code: 'custom',
      message: `unknown drift test "${name}"; one of ${listDriftTests()
        .map((t) => t.name)
        .join(', ')}`,
    });
  }
});

const featureOverride = z
  .object({
    /** Run this test instead of the default selection. */
    test: testName.optional(),
    /** Replaces the test's default threshold (alpha for p-value tests, distance for distances). */
    threshold: z.number().positive().optional(),
    /** Replaces the effect-size floor for this feature. */
    effectFloor: z.number().min(0).optional(),
    /** Leave the feature out of drift testing (data-quality checks still run). */
    ignore: z.boolean().optional(),
  })
  .strict();

export const driftPolicySchema = z
  .object({
    /** Per-window false-alarm bound for the dataset verdict under no drift (see the guarantee above). */
    alpha: z.number().gt(0).lt(1).default(0.01),
    correction: z.enum(['benjamini_hochberg', 'bonferroni', 'none']).default('benjamini_hochberg'),
    /** Smallest shift that matters: normed Wasserstein (sd units) for numerical, Jensen-Shannon distance (base 2) for categorical. */
    effectFloor: z
      .object({ numerical: z.number().min(0).default(0.1), categorical: z.number().min(0).default(0.1) })
      .strict()
      .prefault({}),
    /** Windows with fewer rows are insufficient_data and never judged. */
    minRows: z.number().int().min(1).default(200),
    /** A feature with fewer non-missing values in the window is insufficient_data on its own. */
    minFeatureValues: z.number().int().min(1).default(100),
    /** Consecutive flagged windows before a feature is drifted. */
    persistence: z.number().int().min(1).max(100).default(2),
    /** Drifted features that make the dataset drifted. */
    minDriftedFeatures: z.number().int().min(1).default(1),
    /** Sample size at which selection switches from p-value tests to distances. */
    smallSampleRows: z.number().int().min(1).default(1_000),
    /** Model-wide default tests by column type, replacing the selection by sample size. */
    tests: z.object({ numerical: testName.optional(), categorical: testName.optional() }).strict().prefault({}),
    features: z.record(z.string(), featureOverride).default({}),
    prediction: z
      .object({
        test: testName.optional(),
        threshold: z.number().positive().optional(),
        /** Whether a drifted prediction alone makes the dataset drifted. */
        countsTowardVerdict: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /**
     * Categorical features to segment every window by (report/segmentDrift.ts): drift and
     * performance per segment, p-values corrected across all segments and features together.
     */
    segments: z
      .object({ columns: z.array(z.string()).default([]) })
      .strict()
      .prefault({}),
    dataQuality: z
      .object({
        /** Absolute increase of a missing rate that is a finding. */
        missingRateIncrease: z.number().min(0).max(1).default(0.05),
        /** Share of values outside the schema range (or the reference min..max when none) that is a finding. */
        outOfRangeShare: z.number().min(0).max(1).default(0.01),
        /** Share of values in categories the reference never saw that is a finding. */
        unseenCategoryShare: z.number().min(0).max(1).default(0.01),
      })
      .strict()
      .prefault({}),
    multivariate: z
      .object({
        enabled: z.boolean().default(false),
        /** Cross-validated ROC AUC of the domain classifier above which the joint distribution drifted. */
        aucThreshold: z.number().gt(0.5).lt(1).default(0.6),
        /** Current rows the classifier sees (the reference side is the profile's joint sample). */
        sampleRows: z.number().int().min(50).default(1_000),
        /** PCA reconstruction error (multivariate/pcaReconstruction.ts): no training per window. */
        pca: z
          .object({
            enabled: z.boolean().default(false),
            varianceShare: z.number().gt(0).lt(1).default(0.65),
            sigmas: z.number().positive().default(3),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type DriftPolicy = z.infer<typeof driftPolicySchema>;
export type DriftPolicyOverrides = z.input<typeof driftPolicySchema>;

/** A problem of a parsed drift policy that its schema cannot see alone: its path in the policy and what is wrong. */
export interface DriftPolicyProblem {
  path: string[];
  message: string;
}

/**
 * What a parsed policy gets wrong about the tests and, given the model's schema, its features:
 * a test that does not accept the column type, an override of a feature the model lacks, a
 * segment column that is not categorical. Empty when it is sound.
 */
export function driftPolicyProblems(
  policy: Pick<DriftPolicy, 'tests' | 'prediction' | 'segments' | 'features'>,
  schema?: readonly ColumnSchema[],
): DriftPolicyProblem[] {
  const problems: DriftPolicyProblem[] = [];
  // Unknown test names are the schema's issue; here only known tests are checked against their columns.
  const accepts = (test: string, type: ColumnSchema['type']) =>
    !hasDriftTest(test) || getDriftTest(test).columnTypes.includes(type);
  for (const type of ['numerical', 'categorical'] as const) {
    const name = policy.tests[type];
    if (name && !accepts(name, type)) {
      problems.push({ path: ['tests', type], message: `${name} does not accept ${type} columns` });
    }
  }
  if (policy.prediction.test && !accepts(policy.prediction.test, 'numerical')) {
    problems.push({
      path: ['prediction', 'test'],
      message: `${policy.prediction.test} does not accept numerical columns`,
    });
  }
  if (schema) {
    const byName = new Map(schema.map((c) => [c.name, c]));
    for (const column of policy.segments.columns) {
      if (byName.get(column)?.type !== 'categorical') {
        problems.push({
          path: ['segments', 'columns'],
          message: `${column} is not a categorical feature of the model (categorical: ${schema
            .filter((c) => c.type === 'categorical')
            .map((c) => c.name)
            .join(', ')})`,
        });
      }
    }
    for (const [feature, override] of Object.entries(policy.features)) {
      const column = byName.get(feature);
      if (!column) {
        problems.push({
          path: ['features', feature],
          message: `the model has no such feature (known: ${schema.map((c) => c.name).join(', ')})`,
        });
      } else if (override.test && !accepts(override.test, column.type)) {
        problems.push({
          path: ['features', feature, 'test'],
          message: `${override.test} does not accept ${column.type} columns`,
        });
      }
    }
  }
  return problems;
}

/**
 * Validates a model's drift overrides (ModelPolicy.drift) and fills the defaults. With a schema,
 * also checks that every per-feature override names a feature of the model and a test that
 * accepts its type. Errors name the field: `drift policy: features.age.test: ...`.
 */
export function resolveDriftPolicy(overrides: unknown = {}, schema?: ColumnSchema[]): DriftPolicy {
  const parsed = driftPolicySchema.safeParse(overrides ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    throw new Error(`drift policy: ${issues}`);
  }
  const problems = driftPolicyProblems(parsed.data, schema);
  if (problems.length) {
    throw new Error(`drift policy: ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`);
  }
  return parsed.data;
}
