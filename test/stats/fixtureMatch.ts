import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** Reads test/fixtures/stats/<name>, written by scripts/fixtures/stats_fixtures.py. */
export function loadStatsFixture<T>(name: string): T {
  const path = fileURLToPath(new URL(`../fixtures/stats/${name}`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Within 1e-6 relative (absolute 1e-12 around zero). */
export function expectRelativelyClose(actual: number, expected: number, label: string, tolerance = 1e-6): void {
  const error = Math.abs(actual - expected);
  const allowed = Math.max(tolerance * Math.abs(expected), 1e-12);
  expect(error, `${label}: got ${actual}, expected ${expected}`).toBeLessThanOrEqual(allowed);
}

/** p-values: 1e-6 relative, or 1e-6 absolute when the reference is below 1e-3. */
export function expectPValueClose(actual: number, expected: number, label: string): void {
  if (expected < 1e-3) {
    expect(Math.abs(actual - expected), `${label}: got ${actual}, expected ${expected}`).toBeLessThanOrEqual(1e-6);
  } else {
    expectRelativelyClose(actual, expected, label);
  }
}
