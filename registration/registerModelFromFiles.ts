/**
 * `driftloop model register NAME --onnx FILE --schema FILE --reference FILE`: registers a model trained
 * elsewhere. Reads the schema (JSON or YAML: a model definition without the name — task, features,
 * target, optional policy/description; a trainer schema file's labelColumn is accepted and ignored) and
 * the reference CSV (features + label), validates the ONNX against both before writing anything, then
 * upserts the model, stores the reference rows in training_rows, builds the reference profile from
 * them (with the model's scores and the labels) and registers the version as production.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { describeIssues, ModelDefinitionError, modelDefinitionSchema } from '../config/model';
import type { Db } from '../store/db';
import {
  getVersionInStage,
  insertModelVersion,
  transitionStage,
  upsertModel,
  type ModelRecord,
  type ModelVersionRecord,
} from '../store/models';
import { REFERENCE_DATASET, replaceTrainingRows } from '../store/trainingRows';
import { buildReferenceProfile, type DataWindow, type ReferenceProfile } from '../stats/index';
import { OnnxModel, type ModelSpec } from '../onnx/model';
import { readColumns } from '../training/design';
import { encodeLabels, type TrainingSet } from '../training/trainingSet';
import { readTrainingCsv } from '../training/trainingFiles';
import { validateCandidate } from '../training/validateCandidate';

export interface RegisterFromFiles {
  name: string;
  onnxPath: string;
  schemaPath: string;
  referencePath: string;
}

export interface RegistrationSummary {
  model: ModelRecord;
  version: ModelVersionRecord;
  referenceRows: number;
  /** Metrics of the model on its reference rows (training data: optimistic), plus latency. */
  metrics: Record<string, number>;
  /** Reference-profile columns built (0 when the profile could not be built; see profileError). */
  profileColumns: number;
  profileError: string | null;
  /** Lines to print. */
  lines: string[];
}

async function readSchema(path: string, name: string): Promise<Record<string, unknown>> {
  const text = await readFile(path, 'utf8').catch((err: Error) => {
    throw new Error(`cannot read schema file ${path}: ${err.message}`);
  });
  let parsed: unknown;
  try {
    parsed = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new Error(
      `schema file ${path} is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`schema file ${path} must hold an object with task, features and target`);
  }
  const { labelColumn: _labelColumn, name: _name, ...definition } = parsed as Record<string, unknown>;
  return { ...definition, name };
}

/** Model scores and encoded labels beside the feature columns: what the reference profile is built from. */
function referenceWindow(spec: ModelSpec, reference: TrainingSet, scores: Float64Array): DataWindow {
  const columns = readColumns(spec.features, reference.rows);
  const categorical: DataWindow['categorical'] = {};
  for (const [name, values] of columns.categorical) categorical[name] = values.map((v) => (v === '' ? null : v));
  return {
    rows: columns.n,
    numerical: Object.fromEntries(columns.numerical),
    categorical,
    prediction: scores,
    labels: encodeLabels(spec, reference),
  };
}

export async function registerModelFromFiles(db: Db, req: RegisterFromFiles): Promise<RegistrationSummary> {
  const definition = await readSchema(req.schemaPath, req.name);
  const onnx = new Uint8Array(
    await readFile(req.onnxPath).catch((err: Error) => {
      throw new Error(`cannot read ONNX file ${req.onnxPath}: ${err.message}`);
    }),
  );
  // Checked here, before anything is written; upsertModel checks the same again.
  const parsed = modelDefinitionSchema.safeParse(definition);
  if (!parsed.success) {
    throw new ModelDefinitionError(`schema file ${req.schemaPath}: ${describeIssues(parsed.error)}`);
  }
  const spec: ModelSpec = parsed.data;
  const reference = await readTrainingCsv(req.referencePath, spec);
  if (reference.rows.length === 0) throw new Error(`reference file ${req.referencePath} has no rows`);
  encodeLabels(spec, reference);
  const validation = await validateCandidate(onnx, spec, reference);
  if (!validation.ok) {
    throw new Error(
      `model ${req.name}: ${req.onnxPath} failed validation, nothing was registered: ${validation.reason}`,
    );
  }

  const model = await upsertModel(db, definition);
  const modelSpec: ModelSpec = { name: model.name, task: model.task, features: model.features, target: model.target };
  const stored = await replaceTrainingRows(db, model.name, REFERENCE_DATASET, reference.rows, reference.labels);

  let profile: ReferenceProfile | null = null;
  let profileError: string | null = null;
  let profileColumns = 0;
  try {
    const loaded = await OnnxModel.load(onnx, modelSpec);
    let scores: Float64Array;
    try {
      scores = (await loaded.predict(reference.rows)).scores;
    } finally {
      await loaded.release();
    }
    const built = buildReferenceProfile(referenceWindow(modelSpec, reference, scores), model.features, {
      sampleSize: model.policy.profile?.sampleSize,
    });
    profileColumns = built.columns.length;
    profile = built;
  } catch (err) {
    profileError = (err as Error).message;
  }

  const metrics = {
    ...validation.metrics,
    latency_us_per_row: validation.latencyPerRowUs,
    latency_us_single_row: validation.singleRowLatencyUs,
  };
  const hasProduction = (await getVersionInStage(db, model.name, 'production')) !== null;
  let version = await insertModelVersion(db, {
    model: model.name,
    onnx,
    trainer: 'external',
    metrics,
    referenceProfile: profile ?? undefined,
    trainingRows: stored,
    stage: hasProduction ? 'candidate' : 'production',
    stageReason: `registered from ${req.onnxPath}`,
  });
  if (hasProduction) {
    await transitionStage(db, {
      model: model.name,
      version: version.version,
      to: 'production',
      action: 'promote',
      reason: `registered from ${req.onnxPath}`,
    });
    version = { ...version, stage: 'production' };
  }
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4));
  const lines = [
    `model ${model.name} (${model.task}): version ${version.version} registered as production`,
    `  features: ${model.features.map((f) => `${f.name}:${f.type}`).join(', ')}`,
    `  target: ${model.target.name}${model.target.classes ? ` [${model.target.classes.join(', ')}]` : ''}`,
    `  reference rows stored: ${stored}`,
    `  reference metrics (on the reference rows): ${Object.entries(validation.metrics)
      .map(([k, v]) => `${k}=${fmt(v)}`)
      .join(' ')}`,
    `  latency: ${validation.latencyPerRowUs.toFixed(2)} µs/row batched, ${validation.singleRowLatencyUs.toFixed(0)} µs single row`,
    profileError
      ? `  reference profile: NOT built (${profileError}); drift monitoring needs it`
      : `  reference profile: ${profileColumns} feature columns profiled`,
  ];
  return { model, version, referenceRows: stored, metrics, profileColumns, profileError, lines };
}
