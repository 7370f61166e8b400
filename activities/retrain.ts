/**
 * The steps of retrainAndDeploy. Each is idempotent under its key (<workflowId>/<runId>/<step>):
 * a retried or re-run step finds what it already wrote (dataset, version, deployment) instead of
 * writing it twice. Data moves between steps by dataset id in PostgreSQL, never through history.
 */
import { Context } from '@temporalio/activity';
import type { ModelSpec } from '../onnx/model';
import { OnnxModel } from '../onnx/model';
import { buildReferenceProfile, seedFromText } from '../stats/index';
import { deploymentTimeByKey } from '../store/deployments';
import {
  getModel,
  getModelOnnx,
  getVersionByIdempotencyKey,
  getVersionInStage,
  getModelVersion,
  NotFoundError,
  transitionStage,
  type DeploymentAction,
  type ModelRecord,
  type Stage,
} from '../store/models';
import { mergeVersionMetrics, setReferenceProfile } from '../store/referenceProfiles';
import {
  assembleRetrainDataset,
  dropDatasetRows,
  getRetrainDataset,
  readDatasetRows,
  setDatasetVersion,
  trainingDatasetsOf,
} from '../store/retrainDatasets';
import {
  getRetrainRun,
  startRetrainRun,
  updateRetrainRun,
  type RetrainStatus,
  type RetrainTrigger,
} from '../store/retrainRuns';
import { readLabeledPredictions } from '../store/window';
import { rowsToDataWindow } from './dataWindow';
import { createDeploymentTargets } from './deploymentTargets';
import type { ActivityDeps } from './deps';
import { metricValue } from './liveMetrics';
import { defaultMetric, higherIsBetter } from './performance';
import { runPolicyTrainer } from './trainer';
import { registerCandidate } from '../registration/registerCandidate';
import {
  canCompareLive,
  datasetShortfall,
  judgeLive,
  judgeOnHoldout,
  profileRowIndexes,
  type LiveVerdict,
} from '../training/championChallenger';
import { countActivityMetric } from './metrics';
import { hasDerivedFeatures } from '../features/definition';
import { pointInTimeTrainingRows } from '../features/trainingSet';

export class InsufficientDataError extends Error {
  override name = 'InsufficientDataError';
}

export interface RetrainPlan {
  championVersion: number | null;
  enabled: boolean;
  approval: { required: boolean; timeoutMinutes: number; onTimeout: 'approve' | 'reject' };
  shadowMinutes: number;
  canaryMinutes: number;
  canaryShare: number;
  observeMinutes: number;
}

export interface DatasetSummary {
  datasetId: number;
  referenceRows: number;
  recentRows: number;
  trainRows: number;
  holdoutRows: number;
}

export interface ChallengerSummary {
  version: number;
  trainer: string;
  trainRows: number;
  /** Why registration's validation refused it (the version is then 'rejected'); null when it passed. */
  invalid: string | null;
}

export interface ValidationVerdict {
  accepted: boolean;
  metric: string;
  champion: number | null;
  challenger: number;
  reason: string;
  facts: Record<string, number | string>;
}

export interface LiveComparison {
  verdict: LiveVerdict;
  metric: string;
  challenger: number | null;
  champion: number | null;
  labeledRows: number;
  summary: string;
  facts: Record<string, number | string>;
}

/** Most recent labeled rows a retrain takes from the prediction log. */
const MAX_RECENT_ROWS = 200_000;
/** Labeled live rows a comparison scores at most. */
const MAX_LIVE_ROWS = 20_000;

function specOf(model: ModelRecord): ModelSpec {
  return { name: model.name, task: model.task, features: model.features, target: model.target };
}

/** Heartbeats every few seconds while `work` runs, so a long SQL statement or fit still proves the worker alive. */
async function withHeartbeat<T>(detail: string, work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat(detail);
  const timer = setInterval(() => ctx.heartbeat(detail), 2_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** Scores rows and computes the policy metric against their labels. */
async function scoreMetric(
  onnx: Uint8Array,
  model: ModelRecord,
  metric: string,
  rows: Parameters<OnnxModel['predict']>[0],
  labels: readonly string[],
): Promise<number | null> {
  const loaded = await OnnxModel.load(onnx, specOf(model));
  try {
    const out = await loaded.predict(rows);
    const window = rowsToDataWindow(model.features, model.task, model.target.classes, rows, labels, out.scores);
    const classIndex = new Map((model.target.classes ?? []).map((c, i) => [c, i]));
    const predicted = out.labels ? Float64Array.from(out.labels, (l) => classIndex.get(l) ?? NaN) : null;
    return metricValue(metric, model.task, window.labels!, out.scores, predicted);
  } finally {
    await loaded.release();
  }
}

export function createRetrainActivities(deps: ActivityDeps) {
  const { db, logger } = deps;
  const tellDeploymentTargets = createDeploymentTargets(deps);
  return {
    /** Records the cycle and returns the policy's plan for it. */
    async beginRetrain(req: {
      model: string;
      workflowId: string;
      runId: string;
      trigger: RetrainTrigger;
      driftRunId?: number;
    }): Promise<RetrainPlan> {
      const model = await getModel(db, req.model);
      const existing = await getRetrainRun(db, req.workflowId, req.runId);
      const champion = existing
        ? existing.championVersion
        : ((await getVersionInStage(db, req.model, 'production'))?.version ?? null);
      await startRetrainRun(db, { ...req, championVersion: champion });
      const r = model.policy.retrain;
      return {
        championVersion: champion,
        enabled: r.enabled,
        approval: r.approval,
        shadowMinutes: r.shadowMinutes,
        canaryMinutes: r.canaryMinutes,
        canaryShare: r.canaryShare,
        observeMinutes: r.observeMinutes,
      };
    },

    async setRetrainStep(req: {
      workflowId: string;
      runId: string;
      step: string;
      status?: RetrainStatus;
      reason?: string;
    }): Promise<void> {
      await updateRetrainRun(db, req.workflowId, req.runId, { step: req.step, status: req.status, reason: req.reason });
    },

    /** Writes the final status; returns the version in production now. */
    async finishRetrain(req: {
      workflowId: string;
      runId: string;
      model: string;
      outcome: 'deployed' | 'rejected' | 'rolled_back' | 'disabled';
      reason: string;
    }): Promise<number | null> {
      const status: RetrainStatus = req.outcome === 'disabled' ? 'rejected' : req.outcome;
      await updateRetrainRun(db, req.workflowId, req.runId, { step: req.outcome, status, reason: req.reason });
      logger.info({ ...req }, 'retrain finished');
      countActivityMetric('retrains', { model: req.model, outcome: req.outcome });
      return (await getVersionInStage(db, req.model, 'production'))?.version ?? null;
    },

    async failRetrain(req: {
      workflowId: string;
      runId: string;
      model?: string;
      step: string;
      reason: string;
    }): Promise<void> {
      await updateRetrainRun(db, req.workflowId, req.runId, { status: 'failed', reason: `${req.step}: ${req.reason}` });
      countActivityMetric('retrains', { model: req.model ?? 'unknown', outcome: 'failed' });
    },

    /** Step 1: the champion's training data plus the recent labeled window, split by time. */
    async assembleTrainingData(req: {
      model: string;
      workflowId: string;
      runId: string;
      championVersion: number | null;
      idempotencyKey: string;
    }): Promise<DatasetSummary> {
      const model = await getModel(db, req.model);
      const policy = model.policy.retrain;
      const now = Date.now();
      const reference = policy.includeReference ? await trainingDatasetsOf(db, req.model, req.championVersion) : [];
      const dataset = await withHeartbeat('assembling', () =>
        assembleRetrainDataset(db, {
          model: req.model,
          idempotencyKey: req.idempotencyKey,
          referenceDatasets: reference,
          recentFrom: new Date(now - policy.recentWindowHours * 3_600_000),
          recentTo: new Date(now),
          holdoutFraction: policy.holdoutFraction,
          maxRecentRows: MAX_RECENT_ROWS,
        }),
      );
      await updateRetrainRun(db, req.workflowId, req.runId, { datasetId: dataset.id });
      if (dataset.skippedRows > 0) {
        logger.warn(
          { model: req.model, datasetId: dataset.id, skippedRows: dataset.skippedRows },
          `retrain dataset: skipped ${dataset.skippedRows} labeled row(s) whose features PostgreSQL cannot read as jsonb`,
        );
      }
      if (hasDerivedFeatures(model.features)) {
        const pit = await withHeartbeat('point-in-time features', () =>
          pointInTimeTrainingRows(db, model.features, dataset.id),
        );
        logger.info({ model: req.model, datasetId: dataset.id, ...pit }, 'batch and stream features set point-in-time');
      }
      const shortfall = datasetShortfall({ ...dataset, model: req.model, datasetId: dataset.id });
      if (shortfall) throw new InsufficientDataError(shortfall);
      return {
        datasetId: dataset.id,
        referenceRows: dataset.referenceRows,
        recentRows: dataset.recentRows,
        trainRows: dataset.trainRows,
        holdoutRows: dataset.holdoutRows,
      };
    },

    /**
     * Step 2: trains on the train part and registers the challenger through training's
     * registerCandidate, which validates it first (loads, schema, finite outputs, probabilities,
     * holdout metrics, latency): a failing one is recorded as 'rejected' and reported, never served.
     * Once per key: a retried step returns the version it already registered without training again.
     */
    async trainChallenger(req: {
      model: string;
      workflowId: string;
      datasetId: number;
      championVersion: number | null;
      idempotencyKey: string;
    }): Promise<ChallengerSummary> {
      const existing = await getVersionByIdempotencyKey(db, req.idempotencyKey);
      if (existing) {
        return {
          version: existing.version,
          trainer: existing.trainer,
          trainRows: existing.trainingRows ?? 0,
          invalid: existing.stage === 'rejected' ? (existing.stageReason ?? 'validation failed') : null,
        };
      }
      const model = await getModel(db, req.model);
      const dataset = await getRetrainDataset(db, req.datasetId);
      const [train, holdout] = await Promise.all([
        readDatasetRows(db, req.datasetId, 'train', model.features),
        readDatasetRows(db, req.datasetId, 'holdout', model.features),
      ]);
      const ctx = Context.current();
      const fitted = await withHeartbeat('training', () =>
        runPolicyTrainer({
          spec: specOf(model),
          trainer: model.policy.retrain.trainer,
          train,
          holdout,
          onProgress: (detail) => ctx.heartbeat(detail),
          signal: ctx.cancellationSignal,
        }),
      );
      const registered = await withHeartbeat('validating', () =>
        registerCandidate(db, {
          model: req.model,
          onnx: fitted.onnx,
          trainer: fitted.trainer,
          metrics: fitted.diagnostics,
          holdout,
          parentVersion: req.championVersion,
          workflowId: req.workflowId,
          trainingRows: dataset.trainRows,
          trainingWindow: { from: dataset.recentFrom, to: dataset.recentTo },
          idempotencyKey: req.idempotencyKey,
        }),
      );
      const version = registered.version.version;
      await setDatasetVersion(db, req.datasetId, version);
      logger.info({ model: req.model, version, rows: train.rows.length, ok: registered.ok }, 'challenger trained');
      return {
        version,
        trainer: fitted.trainer,
        trainRows: train.rows.length,
        invalid: registered.ok ? null : registered.reason,
      };
    },

    /**
     * Step 3: champion vs challenger on the same holdout (the challenger's schema, outputs and
     * latency were checked when it was registered). Accepted only when it beats the champion by
     * policy.retrain.minImprovement.
     */
    async validateChallenger(req: {
      model: string;
      workflowId: string;
      runId: string;
      datasetId: number;
      championVersion: number | null;
      challengerVersion: number;
    }): Promise<ValidationVerdict> {
      const model = await getModel(db, req.model);
      const metric = model.policy.performance.metric ?? defaultMetric(model.task);
      const up = higherIsBetter(metric);
      const holdout = await readDatasetRows(db, req.datasetId, 'holdout', model.features);
      const challengerOnnx = await getModelOnnx(db, req.model, req.challengerVersion);
      const stored = await getModelVersion(db, req.model, req.challengerVersion);
      const challenger = await scoreMetric(challengerOnnx, model, metric, holdout.rows, holdout.labels);
      const champion =
        challenger === null || req.championVersion === null
          ? null
          : await scoreMetric(
              await getModelOnnx(db, req.model, req.championVersion),
              model,
              metric,
              holdout.rows,
              holdout.labels,
            );
      const judgement = judgeOnHoldout({
        metric,
        higherIsBetter: up,
        challenger,
        champion,
        challengerVersion: req.challengerVersion,
        championVersion: req.championVersion,
        holdoutRows: holdout.rows.length,
        datasetId: req.datasetId,
        minImprovement: model.policy.retrain.minImprovement,
      });
      if (challenger === null) {
        await updateRetrainRun(db, req.workflowId, req.runId, {
          challengerVersion: req.challengerVersion,
          reason: judgement.reason,
        });
        return { accepted: false, metric, champion: null, challenger: NaN, reason: judgement.reason, facts: {} };
      }
      const facts: Record<string, number | string> = {
        metric,
        challenger,
        holdoutRows: holdout.rows.length,
        latencyUsPerRow: stored.metrics.latency_us_per_row ?? 'n/a',
      };
      if (champion !== null) facts.champion = champion;
      // The holdout value is the version's reference for performance decay once it serves.
      await mergeVersionMetrics(db, req.model, req.challengerVersion, { [metric]: challenger });
      await updateRetrainRun(db, req.workflowId, req.runId, {
        challengerVersion: req.challengerVersion,
        challengerMetrics: { [metric]: challenger, holdoutRows: holdout.rows.length },
        championMetrics: champion === null ? undefined : { [metric]: champion, holdoutRows: holdout.rows.length },
      });
      return { ...judgement, metric, champion, challenger, facts };
    },

    /** Marks a challenger rejected and drops its dataset rows (once per key). */
    async retireChallenger(req: {
      model: string;
      version: number;
      workflowId: string;
      reason: string;
      idempotencyKey: string;
      datasetId: number;
    }): Promise<void> {
      await transitionStage(db, {
        model: req.model,
        version: req.version,
        to: 'rejected',
        action: 'reject',
        reason: req.reason,
        workflowId: req.workflowId,
        idempotencyKey: req.idempotencyKey,
      });
      await tellDeploymentTargets({ ...req, stage: 'rejected', action: 'reject' });
      await dropDatasetRows(db, req.datasetId);
    },

    /** Moves a version to a stage (once per key); returns when it entered the stage (ISO). */
    async moveToStage(req: {
      model: string;
      version: number;
      to: Stage;
      action: DeploymentAction;
      workflowId: string;
      reason: string;
      idempotencyKey: string;
    }): Promise<string> {
      await transitionStage(db, req);
      await tellDeploymentTargets({ ...req, stage: req.to });
      const at = await deploymentTimeByKey(db, req.idempotencyKey);
      if (!at) throw new NotFoundError(`deployment ${req.idempotencyKey} was not recorded`);
      return at.toISOString();
    },

    /**
     * Live comparison on the same rows: the challenger's logged predictions in `stage` since `since`
     * that have labels, against the champion re-scoring those very features. Worse means below the
     * champion by more than policy.retrain.rollbackMargin.
     */
    async compareLive(req: {
      model: string;
      challengerVersion: number;
      championVersion: number | null;
      stage: 'production' | 'canary' | 'shadow';
      since: string;
    }): Promise<LiveComparison> {
      const model = await getModel(db, req.model);
      const metric = model.policy.performance.metric ?? defaultMetric(model.task);
      const live = await withHeartbeat('reading live rows', () =>
        readLabeledPredictions(db, {
          model: req.model,
          version: req.challengerVersion,
          stage: req.stage,
          features: model.features,
          from: new Date(req.since),
          to: new Date(),
          maxRows: MAX_LIVE_ROWS,
          seed: seedFromText(`${req.model}/${req.challengerVersion}/${req.stage}`),
        }),
      );
      const facts: Record<string, number | string> = { metric, labeledRows: live.rows.length, stage: req.stage };
      const scores = {
        metric,
        higherIsBetter: higherIsBetter(metric),
        stage: req.stage,
        challengerVersion: req.challengerVersion,
        championVersion: req.championVersion,
        labeledRows: live.rows.length,
        minLabeledRows: model.policy.performance.minLabeledRows,
        rollbackMargin: model.policy.retrain.rollbackMargin,
        challenger: null as number | null,
        champion: null as number | null,
      };
      if (canCompareLive(scores)) {
        const classIndex = new Map((model.target.classes ?? []).map((c, i) => [c, i]));
        const window = rowsToDataWindow(
          model.features,
          model.task,
          model.target.classes,
          live.rows,
          live.labels,
          live.scores,
        );
        const predicted =
          model.task === 'regression'
            ? null
            : Float64Array.from(live.predicted, (l) => (l === null ? NaN : (classIndex.get(l) ?? NaN)));
        scores.challenger = metricValue(metric, model.task, window.labels!, live.scores, predicted);
        scores.champion = await scoreMetric(
          await getModelOnnx(db, req.model, req.championVersion!),
          model,
          metric,
          live.rows,
          live.labels,
        );
      }
      const { verdict, summary } = judgeLive(scores);
      if (verdict !== 'insufficient') {
        facts.challenger = scores.challenger!;
        facts.champion = scores.champion!;
      }
      return {
        verdict,
        metric,
        challenger: scores.challenger,
        champion: scores.champion,
        labeledRows: live.rows.length,
        facts,
        summary,
      };
    },

    /**
     * Step 6: the new version's reference profile, from the newest rows of its dataset (the holdout:
     * what it will see in production; older rows describe the traffic that drifted away), with its
     * own scores so prediction drift and calibration refer to it. Falls back to the recent rows, then
     * to all rows, when the holdout is smaller than a monitoring window.
     */
    async storeReferenceProfile(req: { model: string; version: number; datasetId: number }): Promise<void> {
      const model = await getModel(db, req.model);
      const dataset = await getRetrainDataset(db, req.datasetId);
      const [train, holdout] = await Promise.all([
        readDatasetRows(db, req.datasetId, 'train', model.features),
        readDatasetRows(db, req.datasetId, 'holdout', model.features),
      ]);
      const rows = [...train.rows, ...holdout.rows];
      const labels = [...train.labels, ...holdout.labels];
      const pick = profileRowIndexes(train.ts, holdout.ts, dataset.recentFrom, model.policy.monitor.minRows);
      const profileRows = pick.map((i) => rows[i]);
      const profileLabels = pick.map((i) => labels[i]);
      const loaded = await OnnxModel.load(await getModelOnnx(db, req.model, req.version), specOf(model));
      let scores: Float64Array;
      try {
        scores = (await loaded.predict(profileRows)).scores;
      } finally {
        await loaded.release();
      }
      Context.current().heartbeat('scored');
      const window = rowsToDataWindow(
        model.features,
        model.task,
        model.target.classes,
        profileRows,
        profileLabels,
        scores,
      );
      const profile = buildReferenceProfile(window, model.features, {
        sampleSize: model.policy.profile?.sampleSize,
      });
      await setReferenceProfile(db, req.model, req.version, profile);
    },
  };
}
