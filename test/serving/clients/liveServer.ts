/**
 * A real `driftloop serve` process on a free port, serving two models: "iris", a scikit-learn pipeline exported
 * by skl2onnx with one [N, 4] float input (scripts/fixtures/skl2onnx_matrix_model.py, run at test time), and
 * "loans", a per-feature graph with a categorical (string) input. Plus the Python of the clients venv.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../cli/dev/temporal';
import { insertModelVersion, upsertModel } from '../../../store/models';
import type { Db } from '../../../store/db';
import { spawnCli } from '../../support/cli';
import { logisticModel, testModelSpec } from '../../../testing/onnxModels';
import { v1Spec } from '../support';

const root = fileURLToPath(new URL('../../../', import.meta.url));
export const clientsPython = join(root, '.driftloop/clients-venv/bin/python');
const trainerPython = join(root, '.driftloop/venv/bin/python');

export interface IrisFixture {
  onnx: Uint8Array;
  features: string[];
  classes: string[];
  rows: number[][];
}

/** Fits and exports the iris pipeline with the real scikit-learn + skl2onnx. */
export function exportIrisModel(): IrisFixture {
  for (const python of [trainerPython, clientsPython]) {
    if (!existsSync(python)) throw new Error(`${python} is missing: run scripts/setup.sh`);
  }
  const out = mkdtempSync(join(tmpdir(), 'driftloop-iris-'));
  const run = spawnSync(trainerPython, [join(root, 'scripts/fixtures/skl2onnx_matrix_model.py'), '--out', out], {
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`skl2onnx export failed (${run.status}): ${run.stderr}`);
  const meta = JSON.parse(readFileSync(join(out, 'iris.json'), 'utf8')) as Omit<IrisFixture, 'onnx'>;
  return { ...meta, onnx: readFileSync(join(out, 'iris.onnx')) };
}

export function irisSpec(iris: IrisFixture) {
  return {
    name: 'iris',
    task: 'multiclass' as const,
    features: iris.features.map((name) => ({ name, type: 'numerical' as const })),
    target: { name: 'species', classes: iris.classes },
  };
}

export async function registerModels(db: Db, iris: IrisFixture): Promise<void> {
  await upsertModel(db, irisSpec(iris));
  await insertModelVersion(db, { model: 'iris', onnx: iris.onnx, trainer: 'skl2onnx', stage: 'production' });
  await upsertModel(db, testModelSpec);
  await insertModelVersion(db, { model: 'loans', onnx: logisticModel(v1Spec), trainer: 'test', stage: 'production' });
}

export interface LiveServer {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `driftloop serve` against `databaseUrl` and waits (bounded) for its "serving on" line. */
export async function startServe(databaseUrl: string, env: Record<string, string> = {}): Promise<LiveServer> {
  const port = await freePort();
  const child = spawnCli(['serve', '--host', '127.0.0.1', '--port', String(port)], {
    DATABASE_URL: databaseUrl,
    ...env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`driftloop serve did not start in 60 s: ${stdout}${stderr}`)),
      60_000,
    );
    const check = () => {
      if (stdout.includes('serving on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`driftloop serve exited with ${code}: ${stdout}${stderr}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
