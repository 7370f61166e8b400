/**
 * Reference profiles as stored JSON: serializeProfile writes it, parseProfile reads it back and
 * checks every field, so a profile damaged in storage fails with the field's path instead of
 * producing a wrong drift verdict later. The long arrays of doubles (each column's sample, the
 * joint sample, the correlation matrix, the calibration map) are written packed
 * (packedNumbers.ts: lossless, about a third of their JSON size) and read back bit for bit;
 * profiles stored before packing (format /1, plain JSON numbers) are still read.
 * Numbers are checked with plain loops: validating 300,000 array elements one by one through zod
 * took longer than the rest of a monitoring round's profile read.
 */
import { z } from 'zod';
import { isPackedNumbers, packNumbers, unpackNumbers } from './packedNumbers';
import { PROFILE_FORMAT, type ReferenceProfile } from './referenceProfile';

/** Formats parseProfile reads: /1 held every number as JSON, /2 packs the long arrays. */
const READABLE_FORMATS = ['driftloop.referenceProfile/1', PROFILE_FORMAT] as const;

const count = z.number().int().nonnegative();
const finite = z.number().finite();

interface NumbersRule {
  order?: 'ascending' | 'increasing';
  min?: number;
  max?: number;
}

/**
 * An array of finite numbers, given as JSON numbers or packed, checked in one loop;
 * the order and range rules name the first offending index.
 */
function finiteNumbers(rule: NumbersRule = {}) {
  return z.unknown().transform((input, ctx): number[] => {
    const values = readNumbers(input, ctx);
    if (!values) return z.NEVER;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        ctx.addIssue({ code: 'custom', path: [i], message: 'must be a finite number' });
        return z.NEVER;
      }
      if ((rule.min !== undefined && v < rule.min) || (rule.max !== undefined && v > rule.max)) {
        ctx.addIssue({ code: 'custom', path: [i], message: `must be between ${rule.min} and ${rule.max}` });
        return z.NEVER;
      }
      if (i > 0 && rule.order === 'ascending' && !((values[i - 1] as number) <= v)) {
        ctx.addIssue({ code: 'custom', message: 'must be sorted ascending' });
        return z.NEVER;
      }
      if (i > 0 && rule.order === 'increasing' && !((values[i - 1] as number) < v)) {
        ctx.addIssue({ code: 'custom', message: 'must be strictly increasing' });
        return z.NEVER;
      }
    }
    return values as number[];
  });
}

/** A joint-sample column: finite numbers or null (missing), JSON or packed (NaN = null). */
const nullableFiniteNumbers = z.unknown().transform((input, ctx): (number | null)[] => {
  const values = readNumbers(input, ctx);
  if (!values) return z.NEVER;
  const out = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || (typeof v === 'number' && Number.isNaN(v) && typeof input === 'string')) out[i] = null;
    else if (typeof v === 'number' && Number.isFinite(v)) out[i] = v;
    else {
      ctx.addIssue({ code: 'custom', path: [i], message: 'must be a finite number or null' });
      return z.NEVER;
    }
  }
  return out;
});

function readNumbers(input: unknown, ctx: z.RefinementCtx): ArrayLike<unknown> | null {
  if (Array.isArray(input)) return input;
  if (isPackedNumbers(input)) {
    try {
      const doubles = unpackNumbers(input);
      const values = new Array<number>(doubles.length);
      for (let i = 0; i < doubles.length; i++) values[i] = doubles[i];
      return values;
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return null;
    }
  }
  ctx.addIssue({ code: 'custom', message: 'must be an array of numbers or a packed number array' });
  return null;
}

const sortedFinite = finiteNumbers({ order: 'ascending' });
const increasingFinite = finiteNumbers({ order: 'increasing' });

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
    format: z.enum(READABLE_FORMATS).transform((): typeof PROFILE_FORMAT => PROFILE_FORMAT),
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
        scores: increasingFinite.refine((xs) => xs.length >= 1, 'must hold at least one score'),
        probabilities: finiteNumbers({ min: 0, max: 1 }),
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
        numerical: z.record(z.string(), nullableFiniteNumbers),
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
      .object({ features: z.array(z.string()).min(2), matrix: finiteNumbers() })
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

/** The profile as stored JSON (format /2): the long arrays of doubles packed, everything else as JSON. */
export function serializeProfile(profile: ReferenceProfile): string {
  return JSON.stringify(storedForm(profile));
}

function storedForm(profile: ReferenceProfile): unknown {
  const packColumn = <C extends ReferenceProfile['columns'][number]>(c: C) =>
    c.type === 'numerical' ? { ...c, sample: packNumbers(c.sample) } : c;
  const joint = profile.jointSample;
  return {
    ...profile,
    format: PROFILE_FORMAT,
    columns: profile.columns.map(packColumn),
    prediction: profile.prediction ? packColumn(profile.prediction) : null,
    calibration: profile.calibration
      ? {
          ...profile.calibration,
          scores: packNumbers(profile.calibration.scores),
          probabilities: packNumbers(profile.calibration.probabilities),
        }
      : null,
    jointSample: {
      ...joint,
      numerical: Object.fromEntries(Object.entries(joint.numerical).map(([name, v]) => [name, packNumbers(v)])),
    },
    ...(profile.correlation
      ? { correlation: { ...profile.correlation, matrix: packNumbers(profile.correlation.matrix) } }
      : {}),
  };
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
