/**
 * The model versions this process serves: per model the production, canary and shadow versions,
 * each an onnxruntime session behind a micro-batcher. A refresh reads the registry, loads what is
 * new, swaps the references in one step, then releases what is no longer served once its in-flight
 * runs have finished: requests never see a missing or released session.
 */
import type { Logger } from '../config/logger';
import type { FeatureSpec, ModelPolicy, TargetSpec, Task } from '../config/model';
import { OnnxModel } from '../onnx/model';
import type { Db } from '../store/db';
import { NotFoundError, getModel, getModelOnnx, listLiveVersions, listModelVersions } from '../store/models';
import type { ServingMetrics } from './metrics';
import { MicroBatcher } from './microBatcher';

export type LiveStage = 'production' | 'canary' | 'shadow';
const LIVE_STAGES: LiveStage[] = ['production', 'canary', 'shadow'];

export interface LiveVersion {
  model: string;
  version: number;
  sha256: string;
  stage: LiveStage;
  onnx: OnnxModel;
  batcher: MicroBatcher;
}

export interface LiveModel {
  name: string;
  task: Task;
  features: FeatureSpec[];
  target: TargetSpec;
  policy: ModelPolicy;
  production: LiveVersion | null;
  canary: LiveVersion | null;
  shadow: LiveVersion | null;
  /** Accumulates canaryShare per request; a request goes to the canary each time it crosses 1 (exact share, no RNG). */
  canaryCredit: number;
}

export interface Route {
  served: LiveVersion;
  shadow: LiveVersion | null;
}

export interface LiveModelsOptions {
  db: Db;
  logger: Logger;
  metrics: ServingMetrics;
  maxBatchRows: number;
}

export class LiveModels {
  private readonly models = new Map<string, LiveModel>();
  /** Per-model chain so two notifications for one model never load concurrently. */
  private readonly refreshing = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly options: LiveModelsOptions) {}

  get(name: string): LiveModel | undefined {
    return this.models.get(name);
  }

  names(): string[] {
    return [...this.models.keys()].sort();
  }

  /** Picks the version that answers this request (canary by share) and the shadow that sees a copy. */
  route(model: LiveModel): Route | null {
    const production = model.production;
    const canary = model.canary;
    let served = production;
    if (canary) {
      model.canaryCredit += model.policy.retrain.canaryShare;
      if (model.canaryCredit >= 1 || !production) {
        model.canaryCredit = Math.max(0, model.canaryCredit - 1);
        served = canary;
      }
    }
    return served ? { served, shadow: model.shadow } : null;
  }

  /** Finds a version by number among those served for traffic (production or canary). */
  version(model: LiveModel, version: number): LiveVersion | null {
    for (const v of [model.production, model.canary]) if (v && v.version === version) return v;
    return null;
  }

  /** Loads every model that has a live version. */
  async refreshAll(): Promise<void> {
    const live = await listLiveVersions(this.options.db);
    const names = new Set([...live.map((v) => v.model), ...this.models.keys()]);
    await Promise.all([...names].map((name) => this.refresh(name)));
  }

  /** Brings one model in line with the registry; serialized per model. */
  refresh(name: string): Promise<void> {
    const previous = this.refreshing.get(name) ?? Promise.resolve();
    const next = previous.then(() => this.sync(name));
    const settled = next.catch((err) => {
      this.options.logger.error({ model: name, err: (err as Error).message }, `model ${name}: refresh failed`);
    });
    this.refreshing.set(name, settled);
    void settled.then(() => {
      if (this.refreshing.get(name) === settled) this.refreshing.delete(name);
    });
    return next;
  }

  private async sync(name: string): Promise<void> {
    if (this.closed) return;
    const { db, logger, metrics } = this.options;
    let record;
    try {
      record = await getModel(db, name);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      record = null;
    }
    const versions = record
      ? (await listModelVersions(db, name)).filter((v) => LIVE_STAGES.includes(v.stage as LiveStage))
      : [];
    const current = this.models.get(name);
    const loaded = new Map<number, LiveVersion>();
    for (const stage of LIVE_STAGES) {
      const v = current?.[stage];
      if (v) loaded.set(v.version, v);
    }
    const next: Record<LiveStage, LiveVersion | null> = { production: null, canary: null, shadow: null };
    for (const v of versions) {
      const stage = v.stage as LiveStage;
      const reuse = loaded.get(v.version);
      if (reuse && reuse.sha256 === v.sha256) {
        next[stage] = reuse;
        continue;
      }
      try {
        const onnx = await OnnxModel.load(await getModelOnnx(db, name, v.version), {
          name,
          task: record!.task,
          features: record!.features,
          target: record!.target,
        });
        next[stage] = {
          model: name,
          version: v.version,
          sha256: v.sha256,
          stage,
          onnx,
          batcher: this.batcherFor(name, v.version, onnx),
        };
        metrics.modelLoads.inc({ model: name, version: String(v.version), stage, result: 'ok' });
        logger.info(
          { model: name, version: v.version, stage },
          `model ${name}: loaded version ${v.version} for ${stage}`,
        );
      } catch (err) {
        metrics.modelLoads.inc({ model: name, version: String(v.version), stage, result: 'failed' });
        logger.error(
          { model: name, version: v.version, stage, err: (err as Error).message },
          `model ${name}: cannot load version ${v.version} for ${stage}; ${stage === 'production' && current?.production ? `still serving version ${current.production.version}` : 'not serving it'}`,
        );
        // A production version that cannot load must not take the model offline: keep the old one.
        if (stage === 'production' && current?.production) next.production = current.production;
      }
    }
    if (this.closed) {
      for (const v of Object.values(next)) if (v && !loaded.has(v.version)) await v.onnx.release();
      return;
    }
    for (const old of loaded.values()) {
      metrics.modelsLive.remove({ model: name, version: String(old.version), stage: old.stage });
    }
    // The swap: one synchronous step, so every request sees either the old or the new set.
    for (const stage of LIVE_STAGES) {
      const v = next[stage];
      if (v) v.stage = stage;
    }
    if (!record || (!next.production && !next.canary && !next.shadow)) this.models.delete(name);
    else {
      this.models.set(name, {
        name,
        task: record.task,
        features: record.features,
        target: record.target,
        policy: record.policy,
        ...next,
        canaryCredit: current?.canaryCredit ?? 0,
      });
    }
    const kept = new Set(Object.values(next).filter((v): v is LiveVersion => v !== null));
    for (const v of kept) metrics.modelsLive.set({ model: name, version: String(v.version), stage: v.stage }, 1);
    await Promise.all([...loaded.values()].filter((v) => !kept.has(v)).map((v) => this.retire(v)));
  }

  private batcherFor(model: string, version: number, onnx: OnnxModel): MicroBatcher {
    const histogram = this.options.metrics.microBatchRows.labels(model, String(version));
    return new MicroBatcher(onnx, this.options.maxBatchRows, (rows) => histogram.observe(rows));
  }

  /** Releases a version's session after the requests already queued on it have been answered. */
  private async retire(v: LiveVersion): Promise<void> {
    await v.batcher.whenIdle();
    await v.onnx.release();
    this.options.logger.info({ model: v.model, version: v.version }, `model ${v.model}: released version ${v.version}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.refreshing.values()]);
    const all = [...this.models.values()].flatMap((m) => [m.production, m.canary, m.shadow]);
    this.models.clear();
    await Promise.all(all.filter((v): v is LiveVersion => v !== null).map((v) => this.retire(v)));
  }
}
