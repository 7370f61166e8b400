/** The monitoring window read from the real prediction log: sampling, label join, columns. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertModelVersion, upsertModel } from '../../store/models';
import { copyPredictions, upsertLabels, type PredictionRow } from '../../store/predictions';
import { readPredictionWindow } from '../../store/window';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { features, target } from '../../testing/loopFixture';

let tdb: TestDatabase;
const start = Date.now() - 3_600_000;
const N = 5_000;

beforeAll(async () => {
  tdb = await createTestDatabase();
  await upsertModel(tdb.db, { name: 'win', task: 'binary', features, target });
  await insertModelVersion(tdb.db, { model: 'win', onnx: Buffer.from('x'), trainer: 'test', stage: 'production' });
  // Row i has x1 = i, so the sample's mean of x1 tells whether early or late rows are favoured.
  const rows: PredictionRow[] = Array.from({ length: N }, (_v, i) => ({
    id: randomUUID(),
    model: 'win',
    version: 1,
    stage: i % 10 === 9 ? 'shadow' : 'production',
    ts: start + i * 600,
    features: { x1: i, x2: i % 7 === 0 ? null : -i, c: i % 2 ? 'a' : 'b' },
    outputs: {},
    score: i / N,
    label: i % 3 === 0 ? 'yes' : 'no',
    latencyMs: 1,
  }));
  const client = await tdb.db.connect();
  try {
    await copyPredictions(client, rows);
  } finally {
    client.release();
  }
  await upsertLabels(
    tdb.db,
    'win',
    rows.filter((_r, i) => i % 4 === 0).map((r) => ({ id: r.id, label: 'yes' })),
  );
});

afterAll(async () => {
  await tdb?.drop();
});

const request = (maxRows: number, seed: number) => ({
  model: 'win',
  version: 1,
  task: 'binary' as const,
  features,
  classes: target.classes,
  from: new Date(start),
  to: new Date(start + N * 600),
  maxRows,
  seed,
});

describe('readPredictionWindow', () => {
  it('reads every row of the version in the range into columns, with labels where they arrived', async () => {
    const w = await readPredictionWindow(tdb.db, request(10_000, 1));
    const served = N - N / 10;
    expect(w.rowsInWindow).toBe(served);
    expect(w.window.rows).toBe(served);
    expect(w.labeledRows).toBe(
      Array.from({ length: N }, (_v, i) => i).filter((i) => i % 4 === 0 && i % 10 !== 9).length,
    );
    const x2 = w.window.numerical.x2;
    expect(Array.from(x2).filter(Number.isNaN).length).toBe(
      Array.from({ length: N }, (_v, i) => i).filter((i) => i % 7 === 0 && i % 10 !== 9).length,
    );
    expect(new Set(w.window.categorical.c)).toEqual(new Set(['a', 'b']));
    // Labels are class indexes: 'yes' is 1; unlabeled rows are NaN.
    expect(Array.from(w.window.labels!).filter((v) => v === 1).length).toBe(w.labeledRows);
  });

  it('samples uniformly and reproducibly when the range holds more than maxRows', async () => {
    const a = await readPredictionWindow(tdb.db, request(1_000, 42));
    const b = await readPredictionWindow(tdb.db, request(1_000, 42));
    const c = await readPredictionWindow(tdb.db, request(1_000, 43));
    expect(a.rowsInWindow).toBe(4_500);
    // Bernoulli sampling at 1000/4500: the size is within a few standard deviations (~28) of 1000, never above it.
    expect(a.window.rows).toBeGreaterThan(880);
    expect(a.window.rows).toBeLessThanOrEqual(1_000);
    expect(Array.from(b.window.numerical.x1)).toEqual(Array.from(a.window.numerical.x1));
    expect(Array.from(c.window.numerical.x1)).not.toEqual(Array.from(a.window.numerical.x1));
    // Neither early nor late rows are favoured: the sample's mean index is near the middle (sd ≈ 45).
    const x1 = a.window.numerical.x1;
    const mean = x1.reduce((s, v) => s + v, 0) / x1.length;
    expect(Math.abs(mean - N / 2)).toBeLessThan(250);
  });
});
