/** A registered test model with a real ONNX graph, and a real prediction server on a free port. */
import { loadConfig } from '../../config/index';
import { createLogger } from '../../config/logger';
import { insertModelVersion, upsertModel, type Stage } from '../../store/models';
import type { Db } from '../../store/db';
import { startServer, type PredictionServer, type ServerOptions } from '../../serving/index';
import { logisticModel, testModelSpec, type LogisticSpec } from '../../testing/onnxModels';

export const v1Spec: LogisticSpec = { coefficients: [0.8, -1.2, 2], intercept: -0.3 };
export const v2Spec: LogisticSpec = { coefficients: [-0.5, 0.7, -1], intercept: 0.4 };
export const v3Spec: LogisticSpec = { coefficients: [1.5, 0.2, 0.1], intercept: -1 };

export async function registerLoans(db: Db, canaryShare = 0.1): Promise<void> {
  await upsertModel(db, {
    ...testModelSpec,
    policy: { retrain: { canaryShare } },
  });
}

export async function addVersion(db: Db, spec: LogisticSpec, stage: Stage): Promise<number> {
  const v = await insertModelVersion(db, { model: 'loans', onnx: logisticModel(spec), trainer: 'test', stage });
  return v.version;
}

export async function serve(db: Db, url: string, options: Partial<ServerOptions> = {}): Promise<PredictionServer> {
  return startServer({
    config: loadConfig({ DATABASE_URL: url }),
    db,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    port: 0,
    host: '127.0.0.1',
    defaultMetrics: false,
    ...options,
  });
}

/** Feature rows spread over the model's input space, including an unknown category and a missing value. */
export function sampleRows(n: number, seed = 1): Array<{ x1: number | null; x2: number; c: string | null }> {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const cats = ['a', 'b', 'other', null];
  return Array.from({ length: n }, (_, i) => ({
    x1: i % 17 === 5 ? null : Math.round((rnd() * 6 - 3) * 1000) / 1000,
    x2: Math.round((rnd() * 4 - 2) * 1000) / 1000,
    c: cats[Math.floor(rnd() * cats.length)],
  }));
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json as Record<string, unknown> & Record<string, never> };
}
