/**
 * An MLflow Model Registry, through its REST API: each live version of the model is registered once
 * as a model version (its ONNX uploaded as the artifacts of an MLflow run in the `experiment`, with
 * an MLmodel file of the onnx flavor, tagged driftloop.version and driftloop.sha256), then the
 * aliases follow the stages: `champion` → production, `challenger` → canary (or shadow), removed
 * when there is none. The canary share is the registered model's tag driftloop.canary_share.
 * Re-running finds the version by its tag instead of registering it twice.
 * Auth as MLflow's own clients: MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME/PASSWORD.
 */
import type { DeploymentState, LiveVersionState, TargetContext, TargetOf } from './types';
import { TargetError } from './types';

interface MlflowClient {
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    query?: Record<string, string>,
  ): Promise<T>;
  upload(path: string, bytes: Uint8Array | string): Promise<void>;
}

function client(base: string, ctx: TargetContext): MlflowClient {
  const root = base.replace(/\/+$/, '');
  const auth: Record<string, string> = ctx.env.MLFLOW_TRACKING_TOKEN
    ? { authorization: `Bearer ${ctx.env.MLFLOW_TRACKING_TOKEN}` }
    : ctx.env.MLFLOW_TRACKING_USERNAME
      ? {
          authorization: `Basic ${Buffer.from(`${ctx.env.MLFLOW_TRACKING_USERNAME}:${ctx.env.MLFLOW_TRACKING_PASSWORD ?? ''}`).toString('base64')}`,
        }
      : {};
  async function request(method: string, url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, {
        method,
        ...init,
        headers: { ...auth, ...(init.headers as Record<string, string>) },
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new TargetError(`mlflow ${root}: ${method} ${url.slice(root.length)} failed: ${(err as Error).message}`);
    }
  }
  return {
    async call(method, path, body, query) {
      const qs = query ? `?${new URLSearchParams(query)}` : '';
      const res = await request(method, `${root}/api/2.0/mlflow/${path}${qs}`, {
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      if (!res.ok) {
        const err = new TargetError(
          `mlflow ${root}: ${method} ${path} answered ${res.status}: ${(json.message as string) ?? text.slice(0, 200)}`,
        );
        (err as TargetError & { code?: unknown }).code = json.error_code;
        throw err;
      }
      return json as never;
    },
    async upload(path, bytes) {
      const res = await request('PUT', `${root}/api/2.0/mlflow-artifacts/artifacts/${path}`, {
        headers: { 'content-type': 'application/octet-stream' },
        body: typeof bytes === 'string' ? bytes : Buffer.from(bytes),
      });
      if (!res.ok) {
        throw new TargetError(
          `mlflow ${root}: artifact upload ${path} answered ${res.status}: ${(await res.text()).slice(0, 200)}`,
        );
      }
    },
  };
}

function codeOf(err: unknown): unknown {
  return (err as { code?: unknown }).code;
}

interface ModelVersion {
  version: string;
  tags?: Array<{ key: string; value: string }>;
}

async function experimentId(mlflow: MlflowClient, name: string): Promise<string> {
  try {
    const found = await mlflow.call<{ experiment: { experiment_id: string } }>(
      'GET',
      'experiments/get-by-name',
      undefined,
      {
        experiment_name: name,
      },
    );
    return found.experiment.experiment_id;
  } catch (err) {
    if (codeOf(err) !== 'RESOURCE_DOES_NOT_EXIST') throw err;
  }
  const created = await mlflow.call<{ experiment_id: string }>('POST', 'experiments/create', { name });
  return created.experiment_id;
}

function mlmodelFile(state: DeploymentState, version: LiveVersionState): string {
  return [
    'artifact_path: model',
    'flavors:',
    '  onnx:',
    '    code: null',
    '    data: model.onnx',
    '    providers: [CPUExecutionProvider]',
    '  python_function:',
    '    data: model.onnx',
    '    loader_module: mlflow.onnx',
    `    python_version: "3"`,
    `metadata: {driftloop_model: ${JSON.stringify(state.model)}, driftloop_version: ${version.version}, sha256: ${JSON.stringify(version.sha256)}}`,
    '',
  ].join('\n');
}

/** The MLflow model version holding this driftloop version, registering it when none does. */
async function ensureVersion(
  mlflow: MlflowClient,
  registered: string,
  experiment: string,
  state: DeploymentState,
  v: LiveVersionState,
  existing: ModelVersion[],
): Promise<string> {
  const found = existing.find((mv) =>
    mv.tags?.some((t) => t.key === 'driftloop.version' && t.value === String(v.version)),
  );
  if (found) return found.version;
  const exp = await experimentId(mlflow, experiment);
  const run = await mlflow.call<{ run: { info: { run_id: string; artifact_uri: string } } }>('POST', 'runs/create', {
    experiment_id: exp,
    run_name: `${state.model}-v${v.version}`,
    start_time: Date.now(),
    tags: [
      { key: 'driftloop.model', value: state.model },
      { key: 'driftloop.version', value: String(v.version) },
    ],
  });
  const { run_id: runId, artifact_uri: artifactUri } = run.run.info;
  const prefix = 'mlflow-artifacts:/';
  if (!artifactUri.startsWith(prefix)) {
    throw new TargetError(
      `mlflow: run artifacts go to ${artifactUri}, which driftloop cannot upload to; start the server with artifact serving (mlflow server --artifacts-destination ...)`,
    );
  }
  const base = artifactUri.slice(prefix.length).replace(/^\/+/, '');
  await mlflow.upload(`${base}/model/model.onnx`, v.onnx);
  await mlflow.upload(`${base}/model/MLmodel`, mlmodelFile(state, v));
  await mlflow.call('POST', 'runs/update', { run_id: runId, status: 'FINISHED', end_time: Date.now() });
  const created = await mlflow.call<{ model_version: { version: string } }>('POST', 'model-versions/create', {
    name: registered,
    source: `${artifactUri}/model`,
    run_id: runId,
    description: `driftloop ${state.model} version ${v.version}`,
    tags: [
      { key: 'driftloop.version', value: String(v.version) },
      { key: 'driftloop.sha256', value: v.sha256 },
    ],
  });
  return created.model_version.version;
}

export const mlflowTarget: TargetOf<'mlflow'> = {
  type: 'mlflow',
  describe: (config) => `MLflow Model Registry ${config.trackingUri}`,
  async apply(config, state, ctx) {
    const mlflow = client(config.trackingUri, ctx);
    const registered = config.registeredModel ?? state.model;
    try {
      await mlflow.call('POST', 'registered-models/create', {
        name: registered,
        description: `Registered by driftloop for model ${state.model}`,
      });
    } catch (err) {
      if (codeOf(err) !== 'RESOURCE_ALREADY_EXISTS') throw err;
    }
    const search = await mlflow.call<{ model_versions?: ModelVersion[] }>('GET', 'model-versions/search', undefined, {
      filter: `name='${registered.replace(/'/g, "\\'")}'`,
      max_results: '10000',
    });
    const existing = search.model_versions ?? [];
    const aliases: Record<string, string | null> = {};
    const challenger = state.canary ?? state.shadow;
    const plan: Array<[string, LiveVersionState | null]> = [
      [config.championAlias, state.production],
      [config.challengerAlias, challenger],
    ];
    for (const [alias, v] of plan) {
      if (v) {
        const mv = await ensureVersion(mlflow, registered, config.experiment, state, v, existing);
        existing.push({ version: mv, tags: [{ key: 'driftloop.version', value: String(v.version) }] });
        await mlflow.call('POST', 'registered-models/alias', { name: registered, alias, version: mv });
        aliases[alias] = mv;
      } else {
        try {
          await mlflow.call('DELETE', 'registered-models/alias', { name: registered, alias });
        } catch (err) {
          if (codeOf(err) !== 'RESOURCE_DOES_NOT_EXIST' && codeOf(err) !== 'INVALID_PARAMETER_VALUE') throw err;
        }
        aliases[alias] = null;
      }
    }
    await mlflow.call('POST', 'registered-models/set-tag', {
      name: registered,
      key: 'driftloop.canary_share',
      value: String(state.canary ? state.canary.share : 0),
    });
    return { registeredModel: registered, aliases };
  },
};
