/**
 * Where in its interval a model's monitor schedule fires. Temporal aligns interval schedules to the
 * epoch, so 2,000 schedules "every 10 minutes" would all start a round in the same second; each
 * model gets a fixed phase (offset) instead, from a hash of its name: stable across re-enables and
 * workers, and spread evenly over the interval across a fleet.
 */
import { createHash } from 'node:crypto';

/** The offset in whole seconds, in [0, intervalSeconds). */
export function scheduleOffsetSeconds(model: string, intervalSeconds: number): number {
  const whole = Math.max(1, Math.floor(intervalSeconds));
  return createHash('sha256').update(model).digest().readUInt32BE(0) % whole;
}

/** The schedule's interval spec: every `intervalSeconds`, at the model's offset. */
export function monitorInterval(model: string, intervalSeconds: number): { every: string; offset: string } {
  return { every: `${Math.round(intervalSeconds)}s`, offset: `${scheduleOffsetSeconds(model, intervalSeconds)}s` };
}
