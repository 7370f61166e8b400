/**
 * Runs a team's own training command (any language) as a policy's external trainer: writes train
 * and holdout CSVs and the schema JSON to a fresh directory, runs
 *   command… --train PATH --holdout PATH --schema PATH --output PATH --metrics PATH
 * in its own process group, streams its log lines to a callback (an activity heartbeats there),
 * kills the whole group on timeout or abort, and reads back the ONNX file and the optional metrics
 * JSON ({"name": number}). Failures say the exit code and the last log lines.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { writeSchemaFile, writeTrainingCsv } from './trainingFiles';
import type { TrainingSet, TrainingSpec } from './trainingSet';

/** Log lines kept for the error message. */
const TAIL_LINES = 20;
/** After SIGTERM the group gets this long before SIGKILL. */
const KILL_GRACE_MS = 3000;

export class ExternalTrainerError extends Error {
  override name = 'ExternalTrainerError';
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly logTail: string[],
  ) {
    super(logTail.length ? `${message}\nlast log lines:\n  ${logTail.join('\n  ')}` : message);
  }
}

export interface ExternalTrainerRun {
  spec: TrainingSpec;
  /** argv; the file arguments are appended. */
  command: string[];
  timeoutSeconds: number;
  train: TrainingSet;
  holdout: TrainingSet;
  onLog?: (line: string, stream: 'stdout' | 'stderr') => void;
  signal?: AbortSignal;
  /** Where the files go (a fresh temporary directory by default, removed afterwards). */
  workDir?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ExternalTrainerResult {
  onnx: Uint8Array;
  /** The trainer's own metrics file, if it wrote one. */
  metrics: Record<string, number> | null;
  durationSeconds: number;
  logTail: string[];
}

export async function runExternalTrainer(run: ExternalTrainerRun): Promise<ExternalTrainerResult> {
  if (run.command.length === 0) throw new Error(`model ${run.spec.name}: external trainer command is empty`);
  const dir = run.workDir ?? (await mkdtemp(join(tmpdir(), 'driftloop-train-')));
  const paths = {
    train: join(dir, 'train.csv'),
    holdout: join(dir, 'holdout.csv'),
    schema: join(dir, 'schema.json'),
    output: join(dir, 'model.onnx'),
    metrics: join(dir, 'metrics.json'),
  };
  try {
    await writeTrainingCsv(paths.train, run.spec, run.train);
    await writeTrainingCsv(paths.holdout, run.spec, run.holdout);
    await writeSchemaFile(paths.schema, run.spec);
    await rm(paths.output, { force: true });
    await rm(paths.metrics, { force: true });
    const started = performance.now();
    const logTail = await runCommand(run, [
      '--train',
      paths.train,
      '--holdout',
      paths.holdout,
      '--schema',
      paths.schema,
      '--output',
      paths.output,
      '--metrics',
      paths.metrics,
    ]);
    const durationSeconds = (performance.now() - started) / 1000;
    const size = await stat(paths.output).then(
      (s) => s.size,
      () => -1,
    );
    if (size <= 0) {
      throw new ExternalTrainerError(
        `model ${run.spec.name}: external trainer exited 0 but wrote no ONNX file at the --output path`,
        0,
        logTail,
      );
    }
    const onnx = new Uint8Array(await readFile(paths.output));
    const metrics = await readMetrics(paths.metrics, run.spec.name);
    return { onnx, metrics, durationSeconds, logTail };
  } finally {
    if (!run.workDir) await rm(dir, { recursive: true, force: true });
  }
}

async function readMetrics(path: string, model: string | undefined): Promise<Record<string, number> | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`model ${model}: external trainer's metrics file is not JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`model ${model}: external trainer's metrics file must be a JSON object of numbers`);
  }
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new Error(`model ${model}: external trainer's metric "${k}" is ${JSON.stringify(v)}; metrics are numbers`);
    }
    metrics[k] = v;
  }
  return metrics;
}

function runCommand(run: ExternalTrainerRun, fileArgs: string[]): Promise<string[]> {
  const [program, ...args] = run.command;
  const model = run.spec.name;
  return new Promise((resolve, reject) => {
    const tail: string[] = [];
    const child = spawn(program, [...args, ...fileArgs], {
      detached: true, // its own process group, so a timeout kills what it started too
      stdio: ['ignore', 'pipe', 'pipe'],
      env: run.env ?? process.env,
    });
    let stopReason: string | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (reason: string) => {
      if (stopReason || child.exitCode !== null) return;
      stopReason = reason;
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS);
    };
    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // The group is already gone.
      }
    };
    const timer = setTimeout(
      () => killGroup(`timed out after ${run.timeoutSeconds} s (policy.retrain.trainer.timeoutSeconds)`),
      run.timeoutSeconds * 1000,
    );
    const onAbort = () => killGroup('was cancelled');
    run.signal?.addEventListener('abort', onAbort, { once: true });
    const streams = (['stdout', 'stderr'] as const).map((name) => {
      const lines = createInterface({ input: child[name]! });
      lines.on('line', (line) => {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        run.onLog?.(line, name);
      });
      return new Promise<void>((done) => lines.once('close', () => done()));
    });
    const cleanup = () => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      run.signal?.removeEventListener('abort', onAbort);
    };
    child.once('error', (err) => {
      cleanup();
      reject(
        new ExternalTrainerError(
          `model ${model}: cannot start external trainer "${program}": ${err.message} (check policy.retrain.trainer.command)`,
          null,
          tail,
        ),
      );
    });
    child.once('exit', (code, sig) => {
      // A killed trainer may leave children holding its pipes: kill the group, don't wait for the pipes.
      if (stopReason) signalGroup('SIGKILL');
      const settle = stopReason ? Promise.resolve() : Promise.all(streams);
      void settle.then(() => {
        cleanup();
        if (stopReason) {
          reject(new ExternalTrainerError(`model ${model}: external trainer ${stopReason}; killed`, code, tail));
        } else if (code !== 0) {
          const how = code === null ? `was killed by ${sig}` : `exited with code ${code}`;
          reject(new ExternalTrainerError(`model ${model}: external trainer ${how}`, code, tail));
        } else resolve(tail);
      });
    });
  });
}
