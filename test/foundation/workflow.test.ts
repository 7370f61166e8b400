/** A real workflow on the real dev server calling a real activity against real PostgreSQL. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_NAME, MODEL_VERSION } from '../../workflows/searchAttributes';
import { insertModelVersion, upsertModel } from '../../store/models';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { connectTemporal, type TemporalTestContext } from '../support/temporal';

let tdb: TestDatabase;
let temporal: TemporalTestContext;

beforeAll(async () => {
  tdb = await createTestDatabase();
  temporal = await connectTemporal(tdb.db, tdb.url);
  await temporal.startWorker();
  await upsertModel(tdb.db, {
    name: 'churn',
    task: 'binary',
    features: [{ name: 'tenure', type: 'numerical' }],
    target: { name: 'churned', classes: ['no', 'yes'] },
  });
  await insertModelVersion(tdb.db, { model: 'churn', onnx: Buffer.from('v1'), trainer: 'test', stage: 'production' });
  await insertModelVersion(tdb.db, { model: 'churn', onnx: Buffer.from('v2'), trainer: 'test' });
});

afterAll(async () => {
  await temporal?.teardown();
  await tdb?.drop();
});

describe('setModelStage workflow', () => {
  it('promotes through an activity, writes the rows and returns what is in production', async () => {
    const workflowId = `promote-churn-${Date.now()}`;
    const result = await temporal.env.client.workflow.execute('setModelStage', {
      taskQueue: temporal.taskQueue,
      workflowId,
      args: [{ model: 'churn', version: 2, to: 'production', action: 'promote', reason: 'test' }],
    });
    expect(result).toEqual({ changed: true, production: 2 });

    const { rows } = await tdb.db.query(
      `SELECT version, stage FROM model_versions WHERE model = 'churn' ORDER BY version`,
    );
    expect(rows).toEqual([
      { version: 1, stage: 'retired' },
      { version: 2, stage: 'production' },
    ]);
    const deployments = await tdb.db.query(
      `SELECT version, action, from_stage, to_stage, workflow_id FROM deployments WHERE model = 'churn' AND action <> 'register' ORDER BY id`,
    );
    expect(deployments.rows).toEqual([
      { version: 1, action: 'retire', from_stage: 'production', to_stage: 'retired', workflow_id: workflowId },
      { version: 2, action: 'promote', from_stage: 'candidate', to_stage: 'production', workflow_id: workflowId },
    ]);
  });

  it('is idempotent: the same workflow id replayed as a new run changes nothing twice', async () => {
    const workflowId = `promote-again-${Date.now()}`;
    const args = [{ model: 'churn', version: 1, to: 'production', action: 'rollback', reason: 'test' }] as const;
    const first = await temporal.env.client.workflow.execute('setModelStage', {
      taskQueue: temporal.taskQueue,
      workflowId,
      args: [...args],
    });
    const second = await temporal.env.client.workflow.execute('setModelStage', {
      taskQueue: temporal.taskQueue,
      workflowId,
      args: [...args],
    });
    expect(first).toEqual({ changed: true, production: 1 });
    expect(second).toEqual({ changed: false, production: 1 });
    const { rows } = await tdb.db.query(
      `SELECT count(*)::int AS n FROM deployments WHERE workflow_id = $1 AND action = 'rollback'`,
      [workflowId],
    );
    expect(rows[0].n).toBe(1);
  });

  it('upserts search attributes that a list query finds', async () => {
    const workflowId = `sa-${Date.now()}`;
    await temporal.env.client.workflow.execute('setModelStage', {
      taskQueue: temporal.taskQueue,
      workflowId,
      args: [{ model: 'churn', version: 2, to: 'production', action: 'promote' }],
    });
    // Visibility is eventually consistent: poll briefly.
    let found: string[] = [];
    for (let i = 0; i < 50 && found.length === 0; i++) {
      found = [];
      for await (const wf of temporal.env.client.workflow.list({
        query: `ModelName = 'churn' AND ModelVersion = 2 AND WorkflowId = '${workflowId}'`,
      })) {
        found.push(wf.workflowId);
        expect(wf.typedSearchAttributes.get(MODEL_NAME)).toBe('churn');
        expect(wf.typedSearchAttributes.get(MODEL_VERSION)).toBe(2);
      }
      if (found.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(found).toEqual([workflowId]);
  });
});
