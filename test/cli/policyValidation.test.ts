/**
 * A bad policy is refused when a model is registered or its policy replaced, with the field named,
 * instead of registering fine and failing every monitor round: the drift policy's own schema is
 * embedded in the model policy, and the performance metric is checked against the metric registry
 * for the model's task.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getModel, updateModelPolicy, upsertModel } from '../../store/models';
import { runCli } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { logisticModel, testModelSpec } from '../../testing/onnxModels';

const dir = mkdtempSync(join(tmpdir(), 'driftloop-policy-'));
let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase();
  writeFileSync(join(dir, 'loans.onnx'), logisticModel({ coefficients: [0.8, -1.2, 2], intercept: -0.3 }));
  const lines = ['x1,x2,c,default'];
  for (let i = 0; i < 300; i++)
    lines.push(`${(i % 7) - 3},${(i % 5) - 2},${i % 2 ? 'a' : 'b'},${i % 3 ? 'yes' : 'no'}`);
  writeFileSync(join(dir, 'reference.csv'), lines.join('\n') + '\n');
});

afterAll(async () => {
  await tdb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function register(name: string, policy: unknown) {
  const schema = join(dir, `${name}.schema.json`);
  writeFileSync(
    schema,
    JSON.stringify({ task: 'binary', features: testModelSpec.features, target: testModelSpec.target, policy }),
  );
  const args = ['model', 'register', name, '--onnx', join(dir, 'loans.onnx'), '--schema', schema];
  return runCli([...args, '--reference', join(dir, 'reference.csv')], { DATABASE_URL: tdb.url });
}

async function registered(name: string): Promise<number> {
  const { rows } = await tdb.db.query(`SELECT count(*)::int AS n FROM models WHERE name = $1`, [name]);
  return rows[0].n;
}

describe('policy validation at registration', () => {
  it('driftloop model register refuses an unknown drift test, naming the field and the known tests (exit 2)', async () => {
    const r = await register('typo', { drift: { features: { x1: { test: 'kss' } } } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('policy.drift.features.x1.test: unknown drift test "kss"; one of ks, ');
    expect(await registered('typo')).toBe(0);
  });

  it('refuses drift keys the drift policy does not have, overrides of features the model lacks, and a metric of another task', async () => {
    const r = await register('wrong', {
      drift: { persistance: 2, features: { income: { ignore: true } } },
      performance: { metric: 'rmse' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('policy.drift: Unrecognized key: "persistance"');
    expect(r.stderr).toContain('policy.drift.features.income: the model has no such feature (known: x1, x2, c)');
    expect(r.stderr).toContain(
      'policy.performance.metric: rmse does not apply to a binary model (it is for regression); one of accuracy, precision',
    );
    expect(await registered('wrong')).toBe(0);
  });

  it('registers a sound policy with the drift defaults filled in by the drift schema', async () => {
    const r = await register('sound', { drift: { persistence: 1 }, performance: { metric: 'precision' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const model = await getModel(tdb.db, 'sound');
    expect(model.policy.drift.persistence).toBe(1);
    expect(model.policy.drift.alpha).toBe(0.01);
    expect(model.policy.drift.effectFloor).toEqual({ numerical: 0.1, categorical: 0.1 });
    // Unset: the monitor takes policy.monitor.minRows for it.
    expect(model.policy.drift.minRows).toBeUndefined();
    expect(model.policy.performance.metric).toBe('precision');
  });

  it('updateModelPolicy (what an API that replaces a policy calls) checks it against the model and keeps the old one', async () => {
    await upsertModel(tdb.db, {
      name: 'multi',
      task: 'multiclass',
      features: testModelSpec.features,
      target: { name: 'y', classes: ['a', 'b', 'c'] },
    });
    await expect(updateModelPolicy(tdb.db, 'multi', { performance: { metric: 'logloss' } })).rejects.toThrow(
      /^model multi: invalid policy: policy\.performance\.metric: logloss does not apply to a multiclass model \(it is for binary\); one of accuracy, precision, recall, f1, macro_f1$/,
    );
    await expect(updateModelPolicy(tdb.db, 'multi', { drift: { tests: { categorical: 'ks' } } })).rejects.toThrow(
      'policy.drift.tests.categorical: ks does not accept categorical columns',
    );
    await expect(updateModelPolicy(tdb.db, 'multi', { drift: { alpha: 2 } })).rejects.toThrow(/policy\.drift\.alpha: /);
    expect((await getModel(tdb.db, 'multi')).policy.performance.metric).toBeUndefined();
    const updated = await updateModelPolicy(tdb.db, 'multi', { performance: { metric: 'f1' } });
    expect(updated.policy.performance.metric).toBe('f1');
    await expect(
      upsertModel(tdb.db, {
        name: 'multi2',
        task: 'multiclass',
        features: testModelSpec.features,
        target: { name: 'y', classes: ['a', 'b', 'c'] },
        policy: { performance: { metric: 'roc_auc' } },
      }),
    ).rejects.toThrow(/policy\.performance\.metric: roc_auc does not apply to a multiclass model/);
  });
});
