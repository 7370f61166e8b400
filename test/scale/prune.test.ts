/**
 * Retention under load: `prune` must not stall the prediction log behind a long reader. Its DETACH
 * waits for the lock at most lockTimeoutMs, steps aside for the writers, and retries until the
 * reader is gone.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copyPredictions,
  ensurePredictionPartitions,
  prunePredictions,
  type PredictionRow,
} from '../../store/predictions';
import { createTestDatabase, type TestDatabase } from '../support/db';

let tdb: TestDatabase;
const DAY = 86_400_000;

beforeAll(async () => {
  tdb = await createTestDatabase();
  await ensurePredictionPartitions(tdb.db, 40, 1);
});
afterAll(async () => tdb?.drop());

function row(ts: number): PredictionRow {
  return {
    id: randomUUID(),
    model: 'loans',
    version: 1,
    stage: 'production',
    ts,
    features: { x1: 1 },
    outputs: {},
    score: 0.5,
    label: null,
    latencyMs: 1,
  };
}

/** Resolves with the promise's value, or rejects once `bound` ms pass (a generous bound on an event, not a timing check). */
function within<T>(promise: Promise<T>, bound: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_r, reject) =>
      setTimeout(() => reject(new Error(`${what} did not happen within ${bound} ms`)), bound),
    ),
  ]);
}

describe('prune under load', () => {
  it('lets the prediction log write while a long reader holds predictions, then drops the partition', async () => {
    const old = Date.now() - 35 * DAY;
    const writer = await tdb.db.connect();
    const reader = await tdb.db.connect();
    try {
      await copyPredictions(writer, [row(old)]);
      // A long dashboard scan or retrain read: its transaction holds a lock on predictions.
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM predictions');
      let pruned = false;
      const pruning = prunePredictions(tdb.db, 30, { lockTimeoutMs: 200, attempts: 100 }).finally(
        () => (pruned = true),
      );
      // Prune is now queued for its lock or backing off; the log keeps landing rows meanwhile.
      for (let i = 0; i < 5; i++)
        await within(copyPredictions(writer, [row(Date.now())]), 30_000, `log write ${i + 1} during prune`);
      expect(pruned).toBe(false);
      await reader.query('COMMIT');
      const result = await within(pruning, 60_000, 'prune after the reader finished');
      expect(result.dropped.map((d) => d.day)).toContain(new Date(old).toISOString().slice(0, 10));
    } finally {
      await reader.query('ROLLBACK').catch(() => undefined);
      reader.release();
      writer.release();
    }
    const { rows } = await tdb.db.query(`SELECT count(*)::int AS n FROM predictions`);
    expect(rows[0].n).toBe(5);
  });

  it('names the partition and the cause when the reader never lets go', async () => {
    await ensurePredictionPartitions(tdb.db, 40, 1);
    const old = Date.now() - 36 * DAY;
    const writer = await tdb.db.connect();
    const reader = await tdb.db.connect();
    try {
      await copyPredictions(writer, [row(old)]);
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM predictions');
      await expect(prunePredictions(tdb.db, 30, { lockTimeoutMs: 50, attempts: 2 })).rejects.toThrow(
        /could not detach predictions_\d{8} after 2 tries.*long query on predictions/,
      );
    } finally {
      await reader.query('ROLLBACK');
      reader.release();
      writer.release();
    }
  });
});
