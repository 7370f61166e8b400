/**
 * Deployment targets told by the stage-change hook: a model-repository directory, a real MLflow
 * Model Registry (`mlflow server`, local backend) and a signed webhook, with retries and repeats.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeploymentTargets, type StageChangeNotice } from '../../activities/deploymentTargets';
import { verifyWebhookSignature } from '../../alerts/webhook';
import { loadConfig } from '../../config/index';
import { createLogger } from '../../config/logger';
import { insertModelVersion, transitionStage, upsertModel, type Stage } from '../../store/models';
import { listTargetDeliveries } from '../../store/targetDeliveries';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { aliasVersion, startMlflow, type MlflowServer } from '../support/mlflowServer';
import { logisticModel, testModelSpec } from '../../testing/onnxModels';
import { startReceiver, type Receiver } from '../../testing/receiver';
import { v1Spec, v2Spec, v3Spec } from '../serving/support';

const SECRET = 'deploy-secret';
let tdb: TestDatabase;
let mlflow: MlflowServer;
let hook: Receiver;
let repo: string;
let tell: (change: StageChangeNotice) => Promise<void>;

beforeAll(async () => {
  [tdb, mlflow, hook] = await Promise.all([createTestDatabase(), startMlflow(), startReceiver()]);
  repo = await mkdtemp(join(tmpdir(), 'dl-repo-'));
  process.env.DRIFTLOOP_DEPLOY_WEBHOOK_SECRET = SECRET;
  await upsertModel(tdb.db, {
    ...testModelSpec,
    policy: {
      retrain: { canaryShare: 0.25 },
      deploy: {
        targets: [
          { type: 'driftloop' },
          { type: 'model-repository', path: repo, keepVersions: 1 },
          { type: 'mlflow', trackingUri: mlflow.url },
          { type: 'webhook', url: `${hook.url}/deploy` },
        ],
      },
    },
  });
  tell = createDeploymentTargets({
    db: tdb.db,
    config: loadConfig({ DATABASE_URL: tdb.url }),
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
  });
});

afterAll(async () => {
  await Promise.all([mlflow?.close(), hook?.close(), tdb?.drop()]);
  if (repo) await rm(repo, { recursive: true, force: true });
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const onnx = { 1: logisticModel(v1Spec), 2: logisticModel(v2Spec), 3: logisticModel(v3Spec) };

async function move(version: number, to: Stage, action: 'promote' | 'canary' | 'reject', key: string) {
  await transitionStage(tdb.db, { model: 'loans', version, to, action, idempotencyKey: key });
  await tell({ model: 'loans', version, stage: to, action, idempotencyKey: key });
}

async function traffic() {
  return JSON.parse(await readFile(join(repo, 'loans', 'traffic.json'), 'utf8'));
}

async function snapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string, rel: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(dir, e.name), `${rel}${e.name}/`);
      else out[`${rel}${e.name}`] = sha(await readFile(join(dir, e.name)));
    }
  };
  await walk(join(repo, 'loans'), '');
  return out;
}

async function mlflowVersionCount(): Promise<number> {
  const res = await mlflow.api<{ model_versions?: unknown[] }>(
    'GET',
    `model-versions/search?${new URLSearchParams({ filter: "name='loans'" })}`,
  );
  return res.model_versions?.length ?? 0;
}

function deliveries(): Array<{ id: string; type: string; change: { version: number }; traffic: unknown[] }> {
  return hook.accepted('/deploy').map((r) => {
    expect(
      verifyWebhookSignature(
        SECRET,
        {
          signature: r.headers['x-driftloop-signature'] as string,
          timestamp: r.headers['x-driftloop-timestamp'] as string,
        },
        r.body,
      ),
    ).toBe(true);
    return r.json as never;
  });
}

// MLflow's REST calls take seconds each on a busy 2-core machine.
describe('deployment targets', { timeout: 180_000 }, () => {
  it('a first production version lands in the repository, the MLflow registry as champion, and a signed webhook', async () => {
    await insertModelVersion(tdb.db, { model: 'loans', onnx: onnx[1], trainer: 'test', stage: 'candidate' });
    await move(1, 'production', 'promote', 'k-v1');
    const files = await snapshot();
    expect(files['1/model.onnx']).toBe(sha(onnx[1]));
    expect(await readFile(join(repo, 'loans', 'config.pbtxt'), 'utf8')).toMatch(
      /name: "loans"\nbackend: "onnxruntime"\nmax_batch_size: 0\nversion_policy: \{ specific: \{ versions: \[1\] \} \}/,
    );
    expect(await traffic()).toEqual({
      model: 'loans',
      routes: [{ version: 1, stage: 'production', share: 1 }],
      shadow: null,
    });
    const champion = await aliasVersion(mlflow, 'loans', 'champion');
    expect(champion?.tags['driftloop.version']).toBe('1');
    expect(champion?.tags['driftloop.sha256']).toBe(sha(onnx[1]));
    const stored = await mlflow.artifact(`${champion!.source.replace('mlflow-artifacts:/', '')}/model.onnx`);
    expect(sha(stored)).toBe(sha(onnx[1]));
    expect(await aliasVersion(mlflow, 'loans', 'challenger')).toBeNull();
    const [event] = deliveries();
    expect(event).toMatchObject({
      id: 'k-v1',
      type: 'driftloop.stage_change',
      change: { version: 1, stage: 'production' },
    });
    expect((event as unknown as { artifact: { sha256: string } }).artifact.sha256).toBe(sha(onnx[1]));
  });

  it('a canary gets its share in the traffic file, the challenger alias and the payload; telling twice changes nothing', async () => {
    await insertModelVersion(tdb.db, { model: 'loans', onnx: onnx[2], trainer: 'test', stage: 'candidate' });
    await move(2, 'canary', 'canary', 'k-v2-canary');
    expect((await traffic()).routes).toEqual([
      { version: 1, stage: 'production', share: 0.75 },
      { version: 2, stage: 'canary', share: 0.25 },
    ]);
    expect((await readFile(join(repo, 'loans', 'config.pbtxt'), 'utf8')).includes('versions: [1, 2]')).toBe(true);
    expect((await aliasVersion(mlflow, 'loans', 'challenger'))?.tags['driftloop.version']).toBe('2');
    expect(deliveries().at(-1)?.traffic).toEqual((await traffic()).routes);

    // The same step retried: every target already confirmed, nothing is sent again.
    const before = {
      files: await snapshot(),
      versions: await mlflowVersionCount(),
      hooks: hook.accepted('/deploy').length,
    };
    await tell({ model: 'loans', version: 2, stage: 'canary', action: 'canary', idempotencyKey: 'k-v2-canary' });
    expect(hook.accepted('/deploy').length).toBe(before.hooks);
    // Told again under a new key (a worker killed before the confirmation was recorded): same end state.
    await rm(join(repo, 'loans', '2'), { recursive: true });
    await mkdir(join(repo, 'loans', '.incoming-2-deadbeef'));
    await writeFile(join(repo, 'loans', 'traffic.json.tmp-1-abcd'), 'half');
    await tell({ model: 'loans', version: 2, stage: 'canary', action: 'canary', idempotencyKey: 'k-v2-canary-again' });
    expect(await snapshot()).toEqual(before.files);
    expect(await readdir(join(repo, 'loans'))).toEqual(expect.not.arrayContaining(['.incoming-2-deadbeef']));
    expect(await mlflowVersionCount()).toBe(before.versions);
    expect(await mlflowVersionCount()).toBe(2);
  });

  it('a webhook that does not answer 2xx fails the step; the retry tells only what did not confirm', async () => {
    hook.respondWith(() => ({ status: 503, body: 'deploy pipeline busy' }));
    await expect(move(2, 'production', 'promote', 'k-v2-promote')).rejects.toThrow(
      /deploy webhook .* answered 503 \(deploy pipeline busy\); the change is confirmed only on 2xx/,
    );
    const confirmed = (await listTargetDeliveries(tdb.db, 'loans')).filter((d) => d.key === 'k-v2-promote');
    expect(confirmed.map((d) => d.targetType)).toEqual(['driftloop', 'model-repository', 'mlflow']);
    expect((await aliasVersion(mlflow, 'loans', 'champion'))?.tags['driftloop.version']).toBe('2');
    expect(await aliasVersion(mlflow, 'loans', 'challenger')).toBeNull();

    hook.respondWith(() => ({ status: 202, body: 'queued' }));
    const versionsBefore = await mlflowVersionCount();
    await tell({ model: 'loans', version: 2, stage: 'production', action: 'promote', idempotencyKey: 'k-v2-promote' });
    const promoted = deliveries().filter((e) => e.id === 'k-v2-promote');
    expect(promoted).toHaveLength(1);
    expect(await mlflowVersionCount()).toBe(versionsBefore);
    const all = (await listTargetDeliveries(tdb.db, 'loans')).filter((d) => d.key === 'k-v2-promote');
    expect(all.map((d) => d.targetType)).toEqual(['driftloop', 'model-repository', 'mlflow', 'webhook']);
    expect((await traffic()).routes).toEqual([{ version: 2, stage: 'production', share: 1 }]);
  });

  it('keeps the live versions plus keepVersions older ones in the repository', async () => {
    await insertModelVersion(tdb.db, { model: 'loans', onnx: onnx[3], trainer: 'test', stage: 'candidate' });
    await move(3, 'production', 'promote', 'k-v3');
    const dirs = (await readdir(join(repo, 'loans'))).filter((d) => /^\d+$/.test(d)).sort();
    expect(dirs).toEqual(['2', '3']);
    expect((await aliasVersion(mlflow, 'loans', 'champion'))?.tags['driftloop.version']).toBe('3');
  });
});
