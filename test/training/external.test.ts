/**
 * External trainers: the scikit-learn example runs for real (python3 with scikit-learn, skl2onnx and
 * onnx; .ci/run installs them), its graph passes validation; timeouts kill the whole process group;
 * failures carry the exit code and the last log lines.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../onnx/model';
import { ExternalTrainerError, runExternalTrainer } from '../../training/externalTrainer';
import { readTrainingCsv } from '../../training/trainingFiles';
import type { TrainingSet } from '../../training/trainingSet';
import { seededRandom } from '../../stats/index';
import { validateCandidate } from '../../training/validateCandidate';

const spec: ModelSpec = {
  name: 'loans',
  task: 'binary',
  features: [
    { name: 'income', type: 'numerical' },
    { name: 'region', type: 'categorical', categories: ['north', 'south'] },
  ],
  target: { name: 'default', classes: ['no', 'yes'] },
};

function loans(n: number, seed: number): TrainingSet {
  const random = seededRandom(seed).next;
  const rows = [];
  const labels = [];
  for (let i = 0; i < n; i++) {
    const income = random() < 0.1 ? null : 100 * random();
    const region = ['north', 'south', null][Math.floor(random() * 3)];
    rows.push({ income, region });
    labels.push((income ?? 50) / 50 + (region === 'south' ? 0.8 : 0) + random() - 0.5 > 1.2 ? 'yes' : 'no');
  }
  return { rows, labels };
}

/** Running, not merely a zombie waiting for its (re)parent to reap it. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** python3 with the example's modules, or a failure saying what to install. */
function python(): string {
  const probe = spawnSync('python3', ['-c', 'import sklearn, skl2onnx, onnx, numpy'], { encoding: 'utf8' });
  if (probe.error) throw new Error(`python3 not found on PATH (${probe.error.message}): the example trainer needs it`);
  if (probe.status !== 0) {
    throw new Error(
      `python3 lacks the example trainer's modules: pip install scikit-learn skl2onnx onnx\n${probe.stderr.trim()}`,
    );
  }
  return 'python3';
}

describe('external trainers', () => {
  it('runs examples/sklearn_trainer.py and its model passes validation', async () => {
    const logs: string[] = [];
    const train = loans(600, 1);
    const holdout = loans(200, 2);
    const result = await runExternalTrainer({
      spec,
      command: [python(), 'examples/sklearn_trainer.py'],
      timeoutSeconds: 120,
      train,
      holdout,
      onLog: (line) => logs.push(line),
    });
    expect(logs.some((l) => l.includes('read 600 training rows and 200 holdout rows'))).toBe(true);
    expect(result.metrics?.accuracy).toBeGreaterThan(0.7);
    const validation = await validateCandidate(result.onnx, spec, holdout);
    if (!validation.ok) throw new Error(validation.reason);
    // The trainer's own holdout accuracy and ours agree: same graph, same rows.
    expect(validation.metrics.accuracy).toBeCloseTo(result.metrics!.accuracy, 2);
    expect(validation.latencyPerRowUs).toBeGreaterThan(0);
  }, 120_000);

  it('writes CSVs and schema that read back to the same rows', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'driftloop-files-'));
    try {
      const train = loans(50, 3);
      // A trainer that only copies the files it was given lets us look at them.
      await expect(
        runExternalTrainer({
          spec,
          command: ['bash', '-c', 'echo "args: $*"; exit 0', 'trainer'],
          timeoutSeconds: 10,
          train,
          holdout: loans(10, 4),
          workDir: dir,
        }),
      ).rejects.toThrow(/exited 0 but wrote no ONNX file/);
      const back = await readTrainingCsv(join(dir, 'train.csv'), spec);
      expect(back.labels).toEqual(train.labels);
      expect(back.rows).toEqual(train.rows.map((r) => ({ income: r.income ?? null, region: r.region ?? null })));
      const schema = JSON.parse(await readFile(join(dir, 'schema.json'), 'utf8'));
      expect(schema).toMatchObject({ task: 'binary', labelColumn: 'default', features: spec.features });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports the exit code and the last log lines of a failing trainer', async () => {
    const err = await runExternalTrainer({
      spec,
      command: ['bash', '-c', 'for i in $(seq 1 30); do echo "step $i"; done; echo "boom: out of memory" >&2; exit 3'],
      timeoutSeconds: 10,
      train: loans(20, 5),
      holdout: loans(5, 6),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExternalTrainerError);
    const e = err as ExternalTrainerError;
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/model loans: external trainer exited with code 3/);
    expect(e.message).toContain('boom: out of memory');
    expect(e.logTail).toHaveLength(20);
    expect(e.logTail).not.toContain('step 1');
  });

  it('kills the whole process group on timeout', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'driftloop-timeout-'));
    const marker = join(dir, 'child.pid');
    try {
      // The trainer starts a grandchild that would outlive a kill of the trainer alone.
      const err = await runExternalTrainer({
        spec,
        command: ['bash', '-c', `sleep 60 & echo $! > ${marker}; echo started; wait`],
        timeoutSeconds: 1,
        train: loans(20, 7),
        holdout: loans(5, 8),
      }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/timed out after 1 s.*killed/);
      const pid = Number(await readFile(marker, 'utf8'));
      // SIGTERM reaches the grandchild with the group; give a busy machine a moment to deliver it.
      const deadline = Date.now() + 5000;
      while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(alive(pid), `grandchild ${pid} of the timed-out trainer still runs`).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says when the command cannot start', async () => {
    await expect(
      runExternalTrainer({
        spec,
        command: ['/nonexistent/trainer'],
        timeoutSeconds: 5,
        train: loans(10, 9),
        holdout: loans(5, 10),
      }),
    ).rejects.toThrow(/cannot start external trainer "\/nonexistent\/trainer"/);
  });
});
