/**
 * A model repository directory as Triton (and KServe's Triton runtime) reads it, with TF-Serving's
 * numeric version folders:
 *
 *   <path>/<name>/config.pbtxt          Triton: onnxruntime backend, which versions to load
 *   <path>/<name>/<version>/model.onnx  one folder per version
 *   <path>/<name>/traffic.json          which version gets which share (production, canary, shadow)
 *
 * Every file appears whole (written beside, fsynced, renamed); a version folder appears whole
 * (built beside, renamed). Live versions are always kept, plus the newest `keepVersions` others.
 * Written from the state, so a second call with the same state writes the same bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeploymentState, TargetOf } from './types';

async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function fileSha(path: string): Promise<string | null> {
  try {
    return sha256(await readFile(path));
  } catch {
    return null;
  }
}

/** Puts `<dir>/<version>/model.onnx` in place whole; a folder with other bytes under that number is replaced. */
async function placeVersion(dir: string, version: number, onnx: Uint8Array, expectedSha: string): Promise<void> {
  const final = join(dir, String(version));
  if ((await fileSha(join(final, 'model.onnx'))) === expectedSha) return;
  const incoming = join(dir, `.incoming-${version}-${randomBytes(4).toString('hex')}`);
  await mkdir(incoming, { recursive: true });
  await writeAtomically(join(incoming, 'model.onnx'), onnx);
  const replaced = join(dir, `.replaced-${version}-${randomBytes(4).toString('hex')}`);
  await rename(final, replaced).catch(() => undefined);
  await rename(incoming, final);
  await rm(replaced, { recursive: true, force: true });
}

function liveVersions(state: DeploymentState): number[] {
  return [state.production, state.canary, state.shadow].filter((v) => v !== null).map((v) => v!.version);
}

/** Triton's model configuration (protobuf text). Inputs and outputs come from Triton's ONNX auto-complete. */
export function tritonConfig(name: string, versions: number[]): string {
  const list = [...new Set(versions)].sort((a, b) => a - b).join(', ');
  return (
    `# Written by driftloop on every stage change; Triton reloads it in --model-control-mode=poll.\n` +
    `name: "${name}"\n` +
    `backend: "onnxruntime"\n` +
    `max_batch_size: 0\n` +
    `version_policy: { specific: { versions: [${list}] } }\n`
  );
}

export interface TrafficFile {
  model: string;
  routes: Array<{ version: number; stage: 'production' | 'canary'; share: number }>;
  shadow: number | null;
}

export function trafficFile(state: DeploymentState): TrafficFile {
  const routes: TrafficFile['routes'] = [];
  const canaryShare = state.canary ? (state.production ? state.canary.share : 1) : 0;
  if (state.production) {
    routes.push({ version: state.production.version, stage: 'production', share: round(1 - canaryShare) });
  }
  if (state.canary) routes.push({ version: state.canary.version, stage: 'canary', share: round(canaryShare) });
  return { model: state.model, routes, shadow: state.shadow?.version ?? null };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export const modelRepositoryTarget: TargetOf<'model-repository'> = {
  type: 'model-repository',
  describe: (config) => `model repository ${config.path}`,
  async apply(config, state) {
    const name = config.name ?? state.model;
    const dir = join(config.path, name);
    await mkdir(dir, { recursive: true });
    const live = [state.production, state.canary, state.shadow].filter((v) => v !== null);
    for (const v of live) await placeVersion(dir, v!.version, v!.onnx, v!.sha256);
    const versions = liveVersions(state);
    await writeAtomically(join(dir, 'config.pbtxt'), tritonConfig(name, versions));
    // The traffic file is the switch: it is written after every version it names is in place.
    await writeAtomically(join(dir, 'traffic.json'), `${JSON.stringify(trafficFile(state), null, 2)}\n`);

    const entries = await readdir(dir, { withFileTypes: true });
    const numbered = entries
      .filter((e) => e.isDirectory() && /^[1-9][0-9]*$/.test(e.name))
      .map((e) => Number(e.name))
      .sort((a, b) => b - a);
    const keep = new Set([...versions, ...numbered.filter((v) => !versions.includes(v)).slice(0, config.keepVersions)]);
    const removed: number[] = [];
    for (const v of numbered) {
      if (keep.has(v)) continue;
      await rm(join(dir, String(v)), { recursive: true, force: true });
      removed.push(v);
    }
    // Leftovers of a writer killed mid-way.
    for (const e of entries) {
      if (/^\.(incoming|replaced)-/.test(e.name) || /\.tmp-\d+-[0-9a-f]+$/.test(e.name)) {
        await rm(join(dir, e.name), { recursive: true, force: true });
      }
    }
    return { path: dir, versions: [...keep].sort((a, b) => a - b), removed, traffic: trafficFile(state).routes };
  },
};
