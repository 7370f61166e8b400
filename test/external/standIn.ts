/**
 * A stand-in for a team's own model server (no driftloop code in its request path): a small HTTP
 * service that scores with onnxruntime-node straight from a model-repository directory, follows its
 * traffic.json (production/canary shares) the way Triton polls a repository, and logs each scored row
 * to driftloop's ingest endpoint under its own ids, with the version that produced it.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

interface Loaded {
  version: number;
  session: ort.InferenceSession;
}

interface Route {
  version: number;
  stage: string;
  share: number;
}

export interface StandIn {
  url: string;
  /** Versions it serves now, from traffic.json. */
  versions(): number[];
  /** Resolves once every row scored so far has been accepted by driftloop's ingest endpoint. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface StandInOptions {
  repository: string;
  model: string;
  features: Array<{ name: string; type: 'numerical' | 'categorical' }>;
  classes: string[];
  /** driftloop's ingest base URL (…/v1/models/<model>/predictions). */
  ingestUrl: string;
  pollMs?: number;
}

export async function startStandIn(o: StandInOptions): Promise<StandIn> {
  const dir = join(o.repository, o.model);
  let routes: Route[] = [];
  let trafficText = '';
  const sessions = new Map<number, Loaded>();
  let credit = 0;
  let seq = 0;
  const pending = new Set<Promise<void>>();
  let failure: Error | null = null;

  async function reload(): Promise<void> {
    const text = await readFile(join(dir, 'traffic.json'), 'utf8').catch(() => '');
    if (!text || text === trafficText) return;
    const next = (JSON.parse(text) as { routes: Route[] }).routes;
    for (const r of next) {
      if (!sessions.has(r.version)) {
        const bytes = await readFile(join(dir, String(r.version), 'model.onnx'));
        sessions.set(r.version, { version: r.version, session: await ort.InferenceSession.create(bytes) });
      }
    }
    routes = next;
    trafficText = text;
  }
  await reload();
  const poll = setInterval(() => void reload().catch(() => undefined), o.pollMs ?? 200);

  function pick(): Loaded {
    const canary = routes.find((r) => r.stage === 'canary');
    const production = routes.find((r) => r.stage === 'production');
    if (canary) {
      credit += canary.share;
      if (credit >= 1 || !production) {
        credit = Math.max(0, credit - 1);
        return sessions.get(canary.version)!;
      }
    }
    return sessions.get(production!.version)!;
  }

  async function score(model: Loaded, rows: Array<Record<string, unknown>>) {
    const n = rows.length;
    const feeds: Record<string, ort.Tensor> = {};
    for (const f of o.features) {
      if (f.type === 'numerical') {
        feeds[f.name] = new ort.Tensor(
          'float32',
          Float32Array.from(rows, (r) => (typeof r[f.name] === 'number' ? (r[f.name] as number) : NaN)),
          [n, 1],
        );
      } else {
        feeds[f.name] = new ort.Tensor(
          'string',
          rows.map((r) => (typeof r[f.name] === 'string' ? (r[f.name] as string) : '')),
          [n, 1],
        );
      }
    }
    const out = await model.session.run(feeds);
    const probs = Object.values(out).find((t) => t.dims.length === 2 && t.dims[1] === o.classes.length)!;
    const p = probs.data as Float32Array;
    return rows.map((_r, i) => {
      const ps = o.classes.map((_c, k) => p[i * o.classes.length + k]);
      return { label: o.classes[ps.indexOf(Math.max(...ps))], probabilities: ps };
    });
  }

  function logToDriftloop(rows: unknown[]): void {
    const sent = fetch(o.ingestUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(rows),
    }).then(async (res) => {
      if (!res.ok) failure ??= new Error(`ingest answered ${res.status}: ${await res.text()}`);
    });
    const tracked = sent.catch((err: Error) => {
      failure ??= err;
    });
    pending.add(tracked);
    void tracked.finally(() => pending.delete(tracked));
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        try {
          const { instances } = JSON.parse(Buffer.concat(chunks).toString()) as {
            instances: Array<Record<string, unknown>>;
          };
          const model = pick();
          const outputs = await score(model, instances);
          const ids = instances.map(() => `standin-${++seq}`);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ version: model.version, ids, predictions: outputs.map((x) => x.label) }));
          // Logged after the answer, off the request path, as a monitoring sidecar would.
          logToDriftloop(
            instances.map((features, i) => ({
              id: ids[i],
              ts: Date.now(),
              features,
              outputs: outputs[i],
              version: model.version,
            })),
          );
        } catch (err) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: (err as Error).message }));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    versions: () => routes.map((r) => r.version),
    async flush() {
      while (pending.size) await Promise.all([...pending]);
      if (failure) throw failure;
    },
    async close() {
      clearInterval(poll);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sessions.values()) await s.session.release();
    },
  };
}
