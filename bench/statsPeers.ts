/**
 * The peers of bench:stats: NannyML and Evidently, pinned in scripts/requirements-bench.txt, in a
 * venv of the bench's own (.driftloop/bench-venv), created here on first run so that CI and
 * scripts/setup.sh never pay for it. The data goes over as raw float64 files; bench/stats_peers.py
 * times the peers on it and answers one JSON line per measurement.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataWindow } from '../stats/types';

const root = fileURLToPath(new URL('..', import.meta.url));
const venv = join(root, '.driftloop', 'bench-venv');
const python = join(venv, 'bin', 'python');
const requirements = join(root, 'scripts', 'requirements-bench.txt');

export interface PeerMeasurement {
  peer: 'nannyml' | 'nannyml_ks_wasserstein' | 'evidently';
  rows: number;
  times_ms: number[];
  cpu_ms: number[];
  drifted: string[];
}

export interface PeerSize {
  window: DataWindow;
  nannymlRuns: number;
  evidentlyRuns: number;
}

/** Creates .driftloop/bench-venv with the pinned peers unless it already imports them. */
export function ensureBenchVenv(log: (line: string) => void): void {
  const ready = () => {
    try {
      execFileSync(python, ['-c', 'import nannyml, evidently'], { stdio: 'ignore', env: peerEnv() });
      return true;
    } catch {
      return false;
    }
  };
  if (existsSync(python) && ready()) return;
  log(`setting up ${venv} (NannyML, Evidently; first run only, a few minutes)`);
  execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', requirements], {
    stdio: 'inherit',
  });
  if (!ready()) throw new Error(`${venv}: nannyml and evidently still do not import after pip install`);
}

/**
 * The peers' environment: no usage telemetry (NannyML phones home on every calculate), and the
 * machine's OpenBLAS tuning variables unset together, so numpy picks its own kernels as on a
 * user's machine (they are set for the test venv, not for the peers).
 */
function peerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NML_DISABLE_USAGE_LOGGING: '1',
    DO_NOT_TRACK: '1',
    EVIDENTLY_DISABLE_TELEMETRY: '1',
  };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

function writeColumns(path: string, window: DataWindow, features: string[]): void {
  const out = new Float64Array(window.rows * features.length);
  features.forEach((name, j) => out.set(window.numerical[name] as Float64Array, j * window.rows));
  writeFileSync(path, new Uint8Array(out.buffer));
}

/** Times the peers on the same data: the reference window and each current window. */
export async function measurePeers(
  reference: DataWindow,
  sizes: PeerSize[],
  features: string[],
  log: (line: string) => void,
): Promise<PeerMeasurement[]> {
  const dir = join(root, '.driftloop', 'bench-data');
  mkdirSync(dir, { recursive: true });
  try {
    const referencePath = join(dir, 'reference.f64');
    writeColumns(referencePath, reference, features);
    const manifest = {
      features: features.length,
      reference: { path: referencePath, rows: reference.rows },
      sizes: sizes.map((size, i) => {
        const path = join(dir, `current-${i}.f64`);
        writeColumns(path, size.window, features);
        return { path, rows: size.window.rows, nannymlRuns: size.nannymlRuns, evidentlyRuns: size.evidentlyRuns };
      }),
    };
    const manifestPath = join(dir, 'manifest.json');
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const results: PeerMeasurement[] = [];
    await new Promise<void>((resolve, reject) => {
      const child = spawn(python, [join(root, 'bench', 'stats_peers.py'), manifestPath], {
        env: peerEnv(),
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let buffered = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        buffered += chunk;
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (!line.startsWith('{')) continue;
          const measurement = JSON.parse(line) as PeerMeasurement;
          results.push(measurement);
          log(`  ${measurement.peer} at ${measurement.rows.toLocaleString('en')} rows: done`);
        }
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`bench/stats_peers.py exited with code ${code}`)),
      );
    });
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
