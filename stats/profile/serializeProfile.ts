/**
 * Reference profiles as JSON: serializeProfile writes it, parseProfile reads it back and checks
 * every field, so a profile damaged in storage fails with the field's path instead of producing
 * a wrong drift verdict later. Doubles round-trip exactly (JSON writes the shortest exact form).
 */
import { z } from 'zod';
import { PROFILE_FORMAT, type ReferenceProfile } from './referenceProfile';

const count = z.number().int().nonnegative();
const finite = z.number().finite();

const sortedFinite = z
  .array(finite)
  .refine((xs) => xs.every((x, i) => i === 0 || xs[i - 1] <= x), 'must be sorted ascending');
const increasingFinite = z
  .array(finite)
  .refine((xs) => xs.every((x, i) => i === 0 || xs[i - 1] < x), 'must be strictly increasing');

const numericalColumn = z
  .object({
    name: z.string().min(1),
    type: z.literal('numerical'),
    rows: count,
    missing: count,
    nonFinite: count,
    finite: count,
    mean: finite.nullable(),
    std: z.number().finite().nonnegative().nullable(),
    min: finite.nullable(),
    max: finite.nullable(),
    schemaMin: finite.optional(),
    schemaMax: finite.optional(),
    sample: sortedFinite,
    binEdges: increasingFinite,
    binCounts: z.array(count),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.binCounts.length !== c.binEdges.length + 1) {
      ctx.addIssue({ code: 'custom', path: ['binCounts'], message: 'must have one more entry than binEdges' });
    }
    if (c.missing + c.nonFinite + c.finite !== c.rows) {
      ctx.addIssue({ code: 'custom', path: ['rows'], message: 'must equal missing + nonFinite + finite' });
    }
    if (c.sample.length > c.finite) {
      ctx.addIssue({ code: 'custom', path: ['sample'], message: 'has more values than the column has finite values' });
    }
  });

const categoricalColumn = z
  .object({
    name: z.string().min(1),
    type: z.literal('categorical'),
    rows: count,
    missing: count,
    categories: z.array(z.string()),
    counts: z.array(count),
    otherCount: count,
    truncated: z.boolean(),
    schemaCategories: z.array(z.string()).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.counts.length !== c.categories.length) {
      ctx.addIssue({ code: 'custom', path: ['counts'], message: 'must have one entry per category' });
    }
    if (new Set(c.categories).size !== c.categories.length) {
      ctx.addIssue({ code: 'custom', path: ['categories'], message: 'must not repeat a category' });
    }
  });

const profileSchema = z
  .object({
    format: z.literal(PROFILE_FORMAT),
    rows: count,
    options: z
      .object({
        sampleSize: z.number().int().positive(),
        bins: z.number().int().positive(),
        maxCategories: z.number().int().positive(),
        jointSampleSize: z.number().int().positive(),
        calibrationPoints: z.number().int().positive(),
      })
      .strict(),
    columns: z
      .array(z.discriminatedUnion('type', [numericalColumn, categoricalColumn]))
      .refine((cs) => new Set(cs.map((c) => c.name)).size === cs.length, 'column names must be unique'),
    prediction: numericalColumn.nullable(),
    calibration: z
      .object({
        scores: increasingFinite.min(1),
        probabilities: z.array(z.number().min(0).max(1)),
        labeledRows: count,
        positiveRate: z.number().min(0).max(1),
      })
      .strict()
      .refine((m) => m.probabilities.length === m.scores.length, {
        message: 'probabilities must have one entry per score',
        path: ['probabilities'],
      })
      .refine((m) => m.probabilities.every((p, i) => i === 0 || m.probabilities[i - 1] <= p), {
        message: 'probabilities must be non-decreasing',
        path: ['probabilities'],
      })
      .nullable(),
    jointSample: z
      .object({
        rows: count,
        numerical: z.record(z.string(), z.array(finite.nullable())),
        categorical: z.record(z.string(), z.array(z.string().nullable())),
      })
      .strict()
      .superRefine((s, ctx) => {
        for (const kind of ['numerical', 'categorical'] as const) {
          for (const [name, values] of Object.entries(s[kind])) {
            if (values.length !== s.rows) {
              ctx.addIssue({ code: 'custom', path: [kind, name], message: `must have ${s.rows} values (rows)` });
            }
          }
        }
      }),
    correlation: z
      .object({ features: z.array(z.string()).min(2), matrix: z.array(finite) })
      .strict()
      .refine((c) => c.matrix.length === c.features.length * c.features.length, {
        message: 'matrix must have features.length² entries',
        path: ['matrix'],
      })
      .nullable()
      .optional(),
    outputDependence: z.record(z.string(), z.number().min(0).max(1)).nullable().optional(),
  })
  .strict();

export function serializeProfile(profile: ReferenceProfile): string {
  return JSON.stringify(profile);
}

/**
 * Reads a profile from JSON text or an already parsed value (a jsonb column).
 * Throws an error naming every bad field, e.g. `reference profile: columns.3.sample: must be sorted ascending`.
 */
export function parseProfile(input: string | unknown): ReferenceProfile {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new Error(`reference profile is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
  }
  const parsed = profileSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    throw new Error(`reference profile: ${issues}; rebuild it with buildReferenceProfile`);
  }
  return parsed.data as ReferenceProfile;
}
