/**
 * Registration: a candidate is validated before it becomes a model_versions row; a failing one is
 * recorded as rejected with the reason and never served; `model register` from files stores the
 * reference rows, builds the reference profile and makes the version production.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../onnx/model';
import { parseProfile } from '../../stats/profile/serializeProfile';
import { getModel, getVersionInStage, listModelVersions, upsertModel } from '../../store/models';
import { countTrainingRows, readTrainingRows, REFERENCE_DATASET } from '../../store/trainingRows';
import { registerCandidate } from '../../registration/registerCandidate';
import { registerModelFromFiles } from '../../registration/registerModelFromFiles';
import { trainModel } from '../../training/trainModel';
import { writeTrainingCsv } from '../../training/trainingFiles';
import type { TrainingSet } from '../../training/trainingSet';
import { seededRandom } from '../../stats/index';
import { createTestDatabase, type TestDatabase } from '../support/db';

const spec: ModelSpec = {
  name: 'churn',
  task: 'binary',
  features: [
    { name: 'tenure', type: 'numerical' },
    { name: 'plan', type: 'categorical', categories: ['basic', 'pro'] },
  ],
  target: { name: 'churned', classes: ['no', 'yes'] },
};

function churn(n: number, seed: number): TrainingSet {
  const random = seededRandom(seed).next;
  const rows = [];
  const labels = [];
  for (let i = 0; i < n; i++) {
    const tenure = random() < 0.05 ? null : 48 * random();
    const plan = random() < 0.5 ? 'basic' : 'pro';
    rows.push({ tenure, plan });
    labels.push(2 - (tenure ?? 24) / 12 + (plan === 'basic' ? 1 : 0) + random() - 0.5 > 0.5 ? 'yes' : 'no');
  }
  return { rows, labels };
}

let tdb: TestDatabase;
let dir: string;
beforeAll(async () => {
  tdb = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'driftloop-register-'));
});
afterAll(async () => {
  await tdb?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('registerCandidate', () => {
  it('validates, then inserts the candidate with holdout metrics and latency; idempotent on its key', async () => {
    await upsertModel(tdb.db, { ...spec, name: 'churn-a' });
    const trained = await trainModel(spec, { algorithm: 'logistic_regression' }, churn(800, 1));
    const holdout = churn(200, 2);
    const first = await registerCandidate(tdb.db, {
      model: 'churn-a',
      onnx: trained.onnx,
      trainer: 'logistic_regression',
      holdout,
      idempotencyKey: 'wf-1/run-1/register',
    });
    if (!first.ok) throw new Error(first.reason);
    expect(first.version.stage).toBe('candidate');
    expect(first.version.metrics.accuracy).toBeGreaterThan(0.7);
    expect(first.version.metrics.roc_auc).toBeGreaterThan(0.8);
    expect(first.version.metrics.latency_us_per_row).toBeGreaterThan(0);
    const again = await registerCandidate(tdb.db, {
      model: 'churn-a',
      onnx: trained.onnx,
      trainer: 'logistic_regression',
      holdout,
      idempotencyKey: 'wf-1/run-1/register',
    });
    expect(again.version.version).toBe(first.version.version);
    expect(await listModelVersions(tdb.db, 'churn-a')).toHaveLength(1);
  });

  it('records a failing candidate as rejected with the reason, never in a live stage', async () => {
    await upsertModel(tdb.db, { ...spec, name: 'churn-b' });
    // Trained on a schema without `plan`: its graph lacks that input.
    const narrow = await trainModel(
      { ...spec, features: [spec.features[0]] },
      { algorithm: 'logistic_regression' },
      churn(300, 3),
    );
    const result = await registerCandidate(tdb.db, {
      model: 'churn-b',
      onnx: narrow.onnx,
      trainer: 'logistic_regression',
      holdout: churn(50, 4),
      stage: 'production',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toMatch(/missing plan/);
    expect(result.version.stage).toBe('rejected');
    expect(result.version.stageReason).toMatch(/validation failed: .*missing plan/);
    expect(await getVersionInStage(tdb.db, 'churn-b', 'production')).toBeNull();

    const garbage = await registerCandidate(tdb.db, {
      model: 'churn-b',
      onnx: new Uint8Array([1, 2, 3, 4]),
      trainer: 'external',
      holdout: churn(50, 4),
    });
    expect(garbage.ok).toBe(false);
    expect(garbage.version.stageReason).toMatch(/onnxruntime cannot load the graph/);
  });
});

describe('registerModelFromFiles', () => {
  it('registers version 1 as production with reference rows and profile; a second registration replaces it', async () => {
    const reference = churn(500, 5);
    const trained = await trainModel(spec, { algorithm: 'gbdt', params: { nTrees: 20 } }, reference);
    const onnxPath = join(dir, 'churn.onnx');
    const schemaPath = join(dir, 'churn.json');
    const referencePath = join(dir, 'reference.csv');
    await writeFile(onnxPath, trained.onnx);
    await writeFile(schemaPath, JSON.stringify({ task: spec.task, features: spec.features, target: spec.target }));
    await writeTrainingCsv(referencePath, spec, reference);

    const summary = await registerModelFromFiles(tdb.db, { name: 'churn-files', onnxPath, schemaPath, referencePath });
    expect(summary.version.version).toBe(1);
    expect(summary.version.stage).toBe('production');
    expect(summary.referenceRows).toBe(500);
    expect(summary.profileError).toBeNull();
    expect(summary.profileColumns).toBe(2);
    expect(summary.lines.join('\n')).toMatch(/version 1 registered as production[\s\S]*reference rows stored: 500/);
    expect(await countTrainingRows(tdb.db, 'churn-files', REFERENCE_DATASET)).toBe(500);
    const stored = await readTrainingRows(tdb.db, 'churn-files', REFERENCE_DATASET, 3);
    expect(stored.labels).toEqual(reference.labels.slice(0, 3));
    const production = await getVersionInStage(tdb.db, 'churn-files', 'production');
    const profile = parseProfile(production!.referenceProfile);
    expect(profile.rows).toBe(500);
    expect(profile.prediction).not.toBeNull();

    const second = await registerModelFromFiles(tdb.db, { name: 'churn-files', onnxPath, schemaPath, referencePath });
    expect(second.version.version).toBe(2);
    const versions = await listModelVersions(tdb.db, 'churn-files');
    expect(versions.map((v) => v.stage)).toEqual(['retired', 'production']);
    expect(await countTrainingRows(tdb.db, 'churn-files', REFERENCE_DATASET)).toBe(500);
  });

  it('writes nothing when the ONNX does not fit the schema', async () => {
    const narrow = await trainModel(
      { ...spec, features: [spec.features[0]] },
      { algorithm: 'logistic_regression' },
      churn(200, 6),
    );
    const onnxPath = join(dir, 'narrow.onnx');
    const schemaPath = join(dir, 'narrow.json');
    const referencePath = join(dir, 'narrow.csv');
    await writeFile(onnxPath, narrow.onnx);
    await writeFile(schemaPath, JSON.stringify({ task: spec.task, features: spec.features, target: spec.target }));
    await writeTrainingCsv(referencePath, spec, churn(100, 7));
    await expect(
      registerModelFromFiles(tdb.db, { name: 'churn-bad', onnxPath, schemaPath, referencePath }),
    ).rejects.toThrow(/model churn-bad: .*narrow.onnx failed validation, nothing was registered: .*missing plan/);
    await expect(getModel(tdb.db, 'churn-bad')).rejects.toThrow(/not registered/);
  });

  it('names what is wrong in a schema file', async () => {
    const schemaPath = join(dir, 'badschema.json');
    await writeFile(
      schemaPath,
      JSON.stringify({ task: 'binary', features: spec.features, target: { name: 'churned' } }),
    );
    await expect(
      registerModelFromFiles(tdb.db, {
        name: 'churn-badschema',
        onnxPath: join(dir, 'churn.onnx'),
        schemaPath,
        referencePath: join(dir, 'reference.csv'),
      }),
    ).rejects.toThrow(/badschema.json: target.classes: a binary model needs target.classes/);
  });

  it('names the missing column of a reference file', async () => {
    const referencePath = join(dir, 'nolabel.csv');
    const schemaPath = join(dir, 'nolabel.json');
    await writeFile(referencePath, 'tenure,plan\n3,basic\n');
    await writeFile(schemaPath, JSON.stringify({ task: spec.task, features: spec.features, target: spec.target }));
    await expect(
      registerModelFromFiles(tdb.db, {
        name: 'churn-nolabel',
        onnxPath: join(dir, 'churn.onnx'),
        schemaPath,
        referencePath,
      }),
    ).rejects.toThrow(/no label column; name it "churned" \(the target\) or "label"/);
  });
});
