/**
 * A real MLflow tracking server with its Model Registry (PyPI `mlflow`, .driftloop/mlflow-venv from
 * scripts/setup.sh): SQLite backend and a served artifact store in a temp directory, on a free port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const mlflowBin = fileURLToPath(new URL('../../.driftloop/mlflow-venv/bin/mlflow', import.meta.url));

export interface MlflowServer {
  url: string;
  /** GET/POST on the REST API (api/2.0/mlflow/<path>); throws on a non-2xx answer. */
  api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
  artifact(path: string): Promise<Buffer>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function startMlflow(startupMs = 170_000): Promise<MlflowServer> {
  const dir = await mkdtemp(join(tmpdir(), 'dl-mlflow-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const child: ChildProcess = spawn(
    mlflowBin,
    [
      'server',
      '--backend-store-uri',
      `sqlite:///${join(dir, 'mlflow.db')}`,
      '--artifacts-destination',
      join(dir, 'artifacts'),
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--workers',
      '1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  child.stdout!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + startupMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mlflow server exited (${child.exitCode}): ${log}`);
    const healthy = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) break;
    if (Date.now() > deadline) {
      process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`mlflow server did not answer /health within ${startupMs} ms: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    async api(method, path, body) {
      const res = await fetch(`${url}/api/2.0/mlflow/${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`mlflow ${method} ${path}: ${res.status} ${text}`);
      return JSON.parse(text);
    },
    async artifact(path) {
      const res = await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/${path}`);
      if (!res.ok) throw new Error(`mlflow artifact ${path}: ${res.status}`);
      return Buffer.from(await res.arrayBuffer());
    },
    async close() {
      // uvicorn and its worker form one process group (detached): stop them together.
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The MLflow model version an alias points at, with its tags as an object. */
export async function aliasVersion(
  mlflow: MlflowServer,
  model: string,
  alias: string,
): Promise<{ version: string; tags: Record<string, string>; source: string } | null> {
  const res = await fetch(
    `${mlflow.url}/api/2.0/mlflow/registered-models/alias?${new URLSearchParams({ name: model, alias })}`,
  );
  if (res.status === 404) return null;
  const json = (await res.json()) as {
    model_version?: { version: string; source: string; tags?: Array<{ key: string; value: string }> };
    error_code?: string;
  };
  if (!json.model_version) return null;
  const mv = json.model_version;
  return {
    version: mv.version,
    source: mv.source,
    tags: Object.fromEntries((mv.tags ?? []).map((t) => [t.key, t.value])),
  };
}
