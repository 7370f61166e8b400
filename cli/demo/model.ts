/** The demo's model: loan default, watched every 15 s, retrained on recent labeled traffic when it decays. */
import { rowsToDataWindow } from '../../activities/dataWindow';
import { buildReferenceProfile } from '../../stats/index';
import type { Db } from '../../store/db';
import { upsertModel } from '../../store/models';
import { REFERENCE_DATASET, replaceTrainingRows } from '../../store/trainingRows';
import { registerCandidate } from '../../registration/registerCandidate';
import { trainModel } from '../../training/trainModel';
import { splitTrainingSet } from '../../training/trainingSet';
import { loanFeatures, loanTarget, type LabeledApplication } from './scenario';

export const DEMO_MODEL = 'demo-loans';

export const demoPolicy = {
  monitor: { intervalMinutes: 0.25, maxWindowMinutes: 0.5, maxSampleRows: 5_000, minRows: 300 },
  // One flagged window is a verdict here: the demo shows minutes, not days, of traffic.
  drift: { persistence: 1 },
  performance: { metric: 'accuracy', maxDrop: 0.04, minLabeledRows: 150 },
  retrain: {
    trainer: { type: 'builtin', algorithm: 'logistic_regression', params: {} },
    // The last 30 s of labeled traffic, without the reference period: after a concept change the
    // old rule is wrong, and the demo has no days to wait for recent data to outweigh it. With 60 s, a
    // retrain 26 s after the change learned mostly the old rule, beat the champion by 0.023 on that mixed
    // holdout and was promoted, and concept-period accuracy rose only 68.7 % → 69.9 %.
    recentWindowHours: 30 / 3600,
    includeReference: false,
    holdoutFraction: 0.3,
    // The loop promotes the first challenger that clears this bar, and drift keeps starting retrains
    // every backoff period, so one may start seconds after the concept change. Its holdout is the newest
    // 30 % of the window (split by time), its training part the oldest 70 %: mostly the old rule. With a
    // bar of 0.02, a challenger trained 17 s after the change beat the champion by 0.04 on that holdout,
    // was promoted, and concept-period accuracy rose only 69.2 % → 71.1 % (CI, 2026-12-02). At 0.08 such
    // a blend is rejected; the next retrain, 15 s later, learns the new rule (about 0.84 against the
    // champion's 0.69 on concept traffic in a seeded check of the built-in trainer). Live accuracy moves
    // about ±2.4 points around the holdout's gain (1,300 rows), so the bar sits well above the 3 points
    // the demo test asks for.
    minImprovement: 0.08,
    shadowMinutes: 0,
    canaryShare: 0.2,
    canaryMinutes: 0.25,
    observeMinutes: 0.25,
    rollbackMargin: 0.05,
    // A rejected challenger waits 15 s, not an hour, before the next try: the demo's world moves fast.
    backoffMinutes: 0.25,
  },
};

/**
 * Trains version 1 on the reference period with the built-in trainer, stores the reference rows
 * (the next retrain starts from them), builds the reference profile, validates the ONNX graph on a
 * holdout and registers it in production: what `driftloop model register` does for a file.
 */
export async function registerDemoModel(db: Db, reference: LabeledApplication[]): Promise<{ accuracy: number }> {
  const model = await upsertModel(db, {
    name: DEMO_MODEL,
    task: 'binary',
    features: loanFeatures,
    target: loanTarget,
    policy: demoPolicy,
    description: 'driftloop demo: loan default (seeded simulator, cli/demo/scenario.ts)',
  });
  const spec = { name: model.name, task: model.task, features: model.features, target: model.target };
  const all = { rows: reference.map((r) => ({ ...r.features })), labels: reference.map((r) => r.label) };
  const { train, holdout } = splitTrainingSet(all, 0.25, 11);
  const trained = await trainModel(spec, { algorithm: 'logistic_regression' }, train);
  await replaceTrainingRows(db, model.name, REFERENCE_DATASET, all.rows, all.labels);
  const window = rowsToDataWindow(
    model.features,
    model.task,
    model.target.classes,
    all.rows,
    all.labels,
    trained.predict(all.rows),
  );
  const registered = await registerCandidate(db, {
    model: model.name,
    onnx: trained.onnx,
    trainer: trained.algorithm,
    trainingRows: train.rows.length,
    referenceProfile: buildReferenceProfile(window, model.features, { sampleSize: model.policy.profile?.sampleSize }),
    holdout,
    stage: 'production',
  });
  if (!registered.ok) throw new Error(`demo model v1 failed validation: ${registered.reason}`);
  return { accuracy: registered.metrics.accuracy };
}
