/**
 * What one monitoring run hands to the next: consecutive flagged windows per feature, so that
 * persistence works across runs without re-reading earlier windows. Small, plain JSON.
 */
import { z } from 'zod';

export interface DriftState {
  /** Windows judged so far (insufficient ones excluded). */
  windows: number;
  /** Consecutive windows each feature has been flagged, up to and including the last judged one. */
  consecutive: Record<string, number>;
  /** The same for the prediction output. */
  predictionConsecutive: number;
}

const count = z.number().int().nonnegative();
const driftStateSchema = z
  .object({ windows: count, consecutive: z.record(z.string(), count), predictionConsecutive: count })
  .strict();

export const EMPTY_DRIFT_STATE: DriftState = { windows: 0, consecutive: {}, predictionConsecutive: 0 };

/** Validates a stored state (e.g. read back from drift_runs.report); null/undefined is a fresh start. */
export function parseDriftState(value: unknown): DriftState {
  if (value === null || value === undefined) return { ...EMPTY_DRIFT_STATE, consecutive: {} };
  const parsed = driftStateSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    throw new Error(`drift history state: ${issues}; pass the state of the previous report, or null to start over`);
  }
  return parsed.data;
}
