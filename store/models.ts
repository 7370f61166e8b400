/**
 * The model registry: models, their versions and the stage transitions between them.
 * Every stage change writes a `deployments` row and NOTIFYs serving processes in the same transaction.
 */
import { createHash } from 'node:crypto';
import {
  modelDefinitionSchema,
  modelPolicySchema,
  describeIssues,
  ModelDefinitionError,
  policyProblems,
  type FeatureSpec,
  type ModelDefinition,
  type ModelPolicy,
  type TargetSpec,
  type Task,
} from '../config/model';
import { withTransaction, type Db, type DbClient, type Queryable } from './db';
import { serializeProfile } from '../stats/profile/serializeProfile';
import type { ReferenceProfile } from '../stats/profile/referenceProfile';

/** Channel on which every stage change is announced; payload is JSON StageChange. */
export const STAGE_CHANNEL = 'driftloop_stage';

/** Subscribes a dedicated connection to stage changes (its 'notification' events on STAGE_CHANNEL). */
export async function listenForStageChanges(client: Queryable | DbClient): Promise<void> {
  await client.query(`LISTEN ${STAGE_CHANNEL}`);
}

export type Stage = 'candidate' | 'shadow' | 'canary' | 'production' | 'retired' | 'rejected';
export type DeploymentAction = 'register' | 'shadow' | 'canary' | 'promote' | 'rollback' | 'retire' | 'reject';

export interface StageChange {
  model: string;
  version: number;
  stage: Stage;
  action: DeploymentAction;
}

export interface ModelRecord {
  name: string;
  task: Task;
  features: FeatureSpec[];
  target: TargetSpec;
  policy: ModelPolicy;
  description: string;
  createdAt: Date;
}

export interface ModelVersionRecord {
  id: number;
  model: string;
  version: number;
  sha256: string;
  trainer: string;
  trainingRows: number | null;
  metrics: Record<string, number>;
  referenceProfile: unknown;
  stage: Stage;
  stageReason: string | null;
  parentVersion: number | null;
  workflowId: string | null;
  createdAt: Date;
  stageChangedAt: Date;
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

function toModel(row: Record<string, unknown>): ModelRecord {
  const policy = modelPolicySchema.safeParse(row.policy ?? {});
  if (!policy.success) {
    throw new Error(`model ${String(row.name)}: stored policy is invalid: ${describeIssues(policy.error, 'policy.')}`);
  }
  return {
    name: row.name as string,
    task: row.task as Task,
    features: row.feature_schema as FeatureSpec[],
    target: row.target as TargetSpec,
    policy: policy.data,
    description: row.description as string,
    createdAt: row.created_at as Date,
  };
}

const versionColumns = `id, model, version, sha256, trainer, training_rows, metrics, reference_profile, stage,
  stage_reason, parent_version, workflow_id, created_at, stage_changed_at`;

function toVersion(row: Record<string, unknown>): ModelVersionRecord {
  return {
    id: row.id as number,
    model: row.model as string,
    version: row.version as number,
    sha256: row.sha256 as string,
    trainer: row.trainer as string,
    trainingRows: (row.training_rows as number | null) ?? null,
    metrics: (row.metrics as Record<string, number>) ?? {},
    referenceProfile: row.reference_profile ?? null,
    stage: row.stage as Stage,
    stageReason: (row.stage_reason as string | null) ?? null,
    parentVersion: (row.parent_version as number | null) ?? null,
    workflowId: (row.workflow_id as string | null) ?? null,
    createdAt: row.created_at as Date,
    stageChangedAt: row.stage_changed_at as Date,
  };
}

/** Creates or updates a model from its definition (validated here). */
export async function upsertModel(db: Queryable, definition: unknown): Promise<ModelRecord> {
  const parsed = modelDefinitionSchema.safeParse(definition);
  if (!parsed.success) throw new ModelDefinitionError(`invalid model definition: ${describeIssues(parsed.error)}`);
  const m: ModelDefinition = parsed.data;
  const { rows } = await db.query(
    `INSERT INTO models (name, task, feature_schema, target, policy, description)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (name) DO UPDATE SET task = EXCLUDED.task, feature_schema = EXCLUDED.feature_schema,
       target = EXCLUDED.target, policy = EXCLUDED.policy, description = EXCLUDED.description, updated_at = now()
     RETURNING *`,
    [m.name, m.task, JSON.stringify(m.features), JSON.stringify(m.target), JSON.stringify(m.policy), m.description],
  );
  return toModel(rows[0]);
}

/** Replaces a model's policy, validated against the model's task and features first. */
export async function updateModelPolicy(db: Queryable, name: string, policy: unknown): Promise<ModelRecord> {
  const parsed = modelPolicySchema.safeParse(policy);
  if (!parsed.success) {
    throw new ModelDefinitionError(`model ${name}: invalid policy: ${describeIssues(parsed.error, 'policy.')}`);
  }
  const model = await getModel(db, name);
  const problems = policyProblems(parsed.data, model.task, model.features);
  if (problems.length) {
    throw new ModelDefinitionError(
      `model ${name}: invalid policy: ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`,
    );
  }
  const { rows } = await db.query(`UPDATE models SET policy = $2, updated_at = now() WHERE name = $1 RETURNING *`, [
    name,
    JSON.stringify(parsed.data),
  ]);
  if (rows.length === 0) throw new NotFoundError(`model ${name} is not registered (see: driftloop model list)`);
  return toModel(rows[0]);
}

export async function getModel(db: Queryable, name: string): Promise<ModelRecord> {
  const { rows } = await db.query(`SELECT * FROM models WHERE name = $1`, [name]);
  if (rows.length === 0) throw new NotFoundError(`model ${name} is not registered (see: driftloop model list)`);
  return toModel(rows[0]);
}

export async function listModels(db: Queryable): Promise<ModelRecord[]> {
  const { rows } = await db.query(`SELECT * FROM models ORDER BY name`);
  return rows.map(toModel);
}

export interface NewModelVersion {
  model: string;
  onnx: Uint8Array;
  trainer: string;
  metrics?: Record<string, number>;
  /** Stored packed (serializeProfile); read back with parseProfile. */
  referenceProfile?: ReferenceProfile;
  stage?: Stage;
  stageReason?: string;
  parentVersion?: number | null;
  workflowId?: string | null;
  trainingRows?: number;
  trainingWindow?: { from: Date; to: Date };
  /** A retried step passing the same key gets the version it already created. */
  idempotencyKey?: string;
}

/** Adds a version (next number for the model). Idempotent on `idempotencyKey`. */
export async function insertModelVersion(db: Db, v: NewModelVersion): Promise<ModelVersionRecord> {
  return withTransaction(db, async (client) => {
    if (v.idempotencyKey) {
      const existing = await client.query(`SELECT ${versionColumns} FROM model_versions WHERE idempotency_key = $1`, [
        v.idempotencyKey,
      ]);
      if (existing.rows.length > 0) return toVersion(existing.rows[0]);
    }
    // Serialize version numbering per model.
    const lock = await client.query(`SELECT name FROM models WHERE name = $1 FOR UPDATE`, [v.model]);
    if (lock.rows.length === 0)
      throw new NotFoundError(`model ${v.model} is not registered (see: driftloop model register)`);
    const next = await client.query(`SELECT coalesce(max(version), 0) + 1 AS v FROM model_versions WHERE model = $1`, [
      v.model,
    ]);
    const version = next.rows[0].v as number;
    const stage = v.stage ?? 'candidate';
    const sha256 = createHash('sha256').update(v.onnx).digest('hex');
    const { rows } = await client.query(
      `INSERT INTO model_versions (model, version, onnx, sha256, trainer, training_window, training_rows, metrics,
         reference_profile, stage, stage_reason, parent_version, workflow_id, idempotency_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       RETURNING ${versionColumns}`,
      [
        v.model,
        version,
        Buffer.from(v.onnx),
        sha256,
        v.trainer,
        v.trainingWindow ? `[${v.trainingWindow.from.toISOString()},${v.trainingWindow.to.toISOString()}]` : null,
        v.trainingRows ?? null,
        JSON.stringify(v.metrics ?? {}),
        v.referenceProfile === undefined ? null : serializeProfile(v.referenceProfile),
        stage,
        v.stageReason ?? null,
        v.parentVersion ?? null,
        v.workflowId ?? null,
        v.idempotencyKey ?? null,
      ],
    );
    await client.query(
      `INSERT INTO deployments (model, version, action, from_stage, to_stage, reason, workflow_id)
       VALUES ($1, $2, 'register', NULL, $3, $4, $5)`,
      [v.model, version, stage, v.stageReason ?? 'registered', v.workflowId ?? null],
    );
    if (stage === 'production' || stage === 'canary' || stage === 'shadow') {
      const change: StageChange = { model: v.model, version, stage, action: 'register' };
      await client.query(`SELECT pg_notify($1, $2)`, [STAGE_CHANNEL, JSON.stringify(change)]);
    }
    return toVersion(rows[0]);
  });
}

export async function getModelVersion(db: Queryable, model: string, version: number): Promise<ModelVersionRecord> {
  const { rows } = await db.query(`SELECT ${versionColumns} FROM model_versions WHERE model = $1 AND version = $2`, [
    model,
    version,
  ]);
  if (rows.length === 0) throw new NotFoundError(`model ${model} has no version ${version}`);
  return toVersion(rows[0]);
}

export async function getModelOnnx(db: Queryable, model: string, version: number): Promise<Uint8Array> {
  const { rows } = await db.query(`SELECT onnx FROM model_versions WHERE model = $1 AND version = $2`, [
    model,
    version,
  ]);
  if (rows.length === 0) throw new NotFoundError(`model ${model} has no version ${version}`);
  return new Uint8Array(rows[0].onnx as Buffer);
}

export async function listModelVersions(db: Queryable, model: string): Promise<ModelVersionRecord[]> {
  const { rows } = await db.query(`SELECT ${versionColumns} FROM model_versions WHERE model = $1 ORDER BY version`, [
    model,
  ]);
  return rows.map(toVersion);
}

/** The version a retried registration step already wrote under its idempotency key, or null. */
export async function getVersionByIdempotencyKey(db: Queryable, key: string): Promise<ModelVersionRecord | null> {
  const { rows } = await db.query(`SELECT ${versionColumns} FROM model_versions WHERE idempotency_key = $1`, [key]);
  return rows.length ? toVersion(rows[0]) : null;
}

/** The version in a live stage, or null. */
export async function getVersionInStage(
  db: Queryable,
  model: string,
  stage: 'production' | 'canary' | 'shadow',
): Promise<ModelVersionRecord | null> {
  const { rows } = await db.query(`SELECT ${versionColumns} FROM model_versions WHERE model = $1 AND stage = $2`, [
    model,
    stage,
  ]);
  return rows.length ? toVersion(rows[0]) : null;
}

/** Every version in a live stage (production, canary, shadow), across all models. */
export async function listLiveVersions(db: Queryable): Promise<ModelVersionRecord[]> {
  const { rows } = await db.query(
    `SELECT ${versionColumns} FROM model_versions WHERE stage IN ('production', 'canary', 'shadow') ORDER BY model, version`,
  );
  return rows.map(toVersion);
}

interface StageTransition {
  model: string;
  version: number;
  to: Stage;
  action: DeploymentAction;
  reason?: string;
  workflowId?: string | null;
  /** A retried step passing the same key changes nothing the second time. */
  idempotencyKey?: string;
}

/**
 * Moves a version to a stage. Promoting to production retires the current production version;
 * entering canary or shadow retires whichever version held that stage. Writes a deployments row and
 * NOTIFYs serving in the same transaction. Returns false when the idempotency key was already used.
 */
export async function transitionStage(db: Db, t: StageTransition): Promise<boolean> {
  return withTransaction(db, async (client) => {
    if (t.idempotencyKey) {
      const seen = await client.query(`SELECT 1 FROM deployments WHERE idempotency_key = $1`, [t.idempotencyKey]);
      if (seen.rows.length > 0) return false;
    }
    await client.query(`SELECT name FROM models WHERE name = $1 FOR UPDATE`, [t.model]);
    const current = await client.query(
      `SELECT stage FROM model_versions WHERE model = $1 AND version = $2 FOR UPDATE`,
      [t.model, t.version],
    );
    if (current.rows.length === 0) throw new NotFoundError(`model ${t.model} has no version ${t.version}`);
    const from = current.rows[0].stage as Stage;
    if (t.to === 'production' || t.to === 'canary' || t.to === 'shadow') {
      const displaced = await client.query(
        `UPDATE model_versions SET stage = 'retired', stage_reason = $4, stage_changed_at = now()
         WHERE model = $1 AND stage = $2 AND version <> $3 RETURNING version`,
        [t.model, t.to, t.version, `replaced by version ${t.version} (${t.action})`],
      );
      for (const row of displaced.rows) {
        await client.query(
          `INSERT INTO deployments (model, version, action, from_stage, to_stage, reason, workflow_id)
           VALUES ($1, $2, 'retire', $3, 'retired', $4, $5)`,
          [t.model, row.version, t.to, `replaced by version ${t.version}`, t.workflowId ?? null],
        );
      }
    }
    await client.query(
      `UPDATE model_versions SET stage = $3, stage_reason = $4, stage_changed_at = now() WHERE model = $1 AND version = $2`,
      [t.model, t.version, t.to, t.reason ?? t.action],
    );
    await client.query(
      `INSERT INTO deployments (model, version, action, from_stage, to_stage, reason, workflow_id, idempotency_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [t.model, t.version, t.action, from, t.to, t.reason ?? null, t.workflowId ?? null, t.idempotencyKey ?? null],
    );
    const change: StageChange = { model: t.model, version: t.version, stage: t.to, action: t.action };
    await client.query(`SELECT pg_notify($1, $2)`, [STAGE_CHANNEL, JSON.stringify(change)]);
    return true;
  });
}
