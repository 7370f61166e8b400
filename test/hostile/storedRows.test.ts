/**
 * A row that reached the prediction log before the border refused such values (a NUL or a lone
 * surrogate in a categorical feature: valid json, refused by the json → jsonb cast) must not fail
 * the monitor's window or the retrain dataset: the readers skip it and say how many they skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertModelVersion, upsertModel } from '../../store/models';
import { assembleRetrainDataset } from '../../store/retrainDatasets';
import { readPredictionWindow } from '../../store/window';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { features, logLabeledTraffic, target } from '../../testing/loopFixture';

let tdb: TestDatabase;
const start = Date.now() - 600_000;
const N = 300;
const BAD = ['a\u0000b', '\ud800', 'x\udfffy'];

beforeAll(async () => {
  tdb = await createTestDatabase();
  await upsertModel(tdb.db, { name: 'hostile', task: 'binary', features, target });
  await insertModelVersion(tdb.db, { model: 'hostile', onnx: Buffer.from('x'), trainer: 'test', stage: 'production' });
  const logged = Array.from({ length: N }, (_v, i) => ({
    x1: i,
    x2: -i,
    c: i < BAD.length ? BAD[i] : i % 2 ? 'a' : 'b',
  }));
  await logLabeledTraffic(
    tdb.db,
    'hostile',
    { rows: logged, labels: logged.map(() => 'yes') },
    (i) => start + i * 1000,
    (row) => ({ ...row, outputs: { label: 'no' }, score: 0.25 }),
  );
});

afterAll(async () => {
  await tdb?.drop();
});

describe('readers of the prediction log facing rows the jsonb cast refuses', () => {
  it('the monitoring window skips and counts them instead of failing', async () => {
    const read = await readPredictionWindow(tdb.db, {
      model: 'hostile',
      version: 1,
      task: 'binary',
      features,
      classes: target.classes,
      from: new Date(start),
      to: new Date(start + N * 1000),
      maxRows: 10_000,
      seed: 1,
    });
    expect(read.rowsInWindow).toBe(N);
    expect(read.skippedRows).toBe(BAD.length);
    expect(read.window.rows).toBe(N - BAD.length);
    expect(read.labeledRows).toBe(N - BAD.length);
    expect(new Set(read.window.categorical.c)).toEqual(new Set(['a', 'b']));
    expect(Array.from(read.window.numerical.x1).slice(0, 2)).toEqual([BAD.length, BAD.length + 1]);
  });

  it('the retrain dataset skips and counts them instead of failing the assembly', async () => {
    const dataset = await assembleRetrainDataset(tdb.db, {
      model: 'hostile',
      idempotencyKey: 'wf/run/assemble',
      referenceDatasets: [],
      recentFrom: new Date(start),
      recentTo: new Date(start + N * 1000),
      holdoutFraction: 0.2,
      maxRecentRows: 10_000,
    });
    expect(dataset.recentRows).toBe(N - BAD.length);
    expect(dataset.skippedRows).toBe(BAD.length);
    expect(dataset.trainRows + dataset.holdoutRows).toBe(N - BAD.length);
  });
});
