/**
 * Each built-in trainer against scikit-learn on the same split (scripts/fixtures/training_fixtures.py):
 * test metric within 2% of scikit-learn's, and the ONNX graph's outputs equal the trainer's own
 * in-memory predictions to 1e-5.
 */
import { describe, expect, it } from 'vitest';
import { OnnxModel } from '../../onnx/model';
import { evaluateModel } from '../../training/evaluate';
import { trainModel, type BuiltinTrainer } from '../../training/trainModel';
import { loadSklearnDataset, maxRelativeGap } from './fixtures';

const cases: Array<['breast_cancer' | 'wine' | 'diabetes', BuiltinTrainer['algorithm'], string[]]> = [
  ['breast_cancer', 'logistic_regression', ['accuracy', 'f1', 'roc_auc']],
  ['wine', 'logistic_regression', ['accuracy', 'macro_f1']],
  ['diabetes', 'ridge', ['rmse', 'mae', 'r2']],
  ['breast_cancer', 'gbdt', ['accuracy', 'f1', 'roc_auc']],
  ['wine', 'gbdt', ['accuracy', 'macro_f1']],
  ['diabetes', 'gbdt', ['rmse', 'mae', 'r2']],
];

describe('built-in trainers match scikit-learn', () => {
  for (const [dataset, algorithm, metricNames] of cases) {
    it(`${algorithm} on ${dataset}`, async () => {
      const data = loadSklearnDataset(dataset);
      const { settings } = data;
      const params =
        algorithm === 'logistic_regression'
          ? { l2: settings.logistic_l2 }
          : algorithm === 'ridge'
            ? { alpha: settings.ridge_alpha }
            : {
                nTrees: settings.gbdt.max_iter,
                learningRate: settings.gbdt.learning_rate,
                maxLeafNodes: settings.gbdt.max_leaf_nodes,
                minSamplesLeaf: settings.gbdt.min_samples_leaf,
                l2: settings.gbdt.l2_regularization,
                earlyStopping: false,
              };
      const trained = await trainModel(data.spec, { algorithm, params }, data.train);
      const model = await OnnxModel.load(trained.onnx, data.spec);
      try {
        const metrics = await evaluateModel(model, data.spec, data.test);
        for (const name of metricNames) {
          const ours = metrics[name];
          const theirs = data.sklearn[algorithm][name];
          expect(Number.isFinite(ours), `metric ${name} missing from ${JSON.stringify(metrics)}`).toBe(true);
          // Within 2% of scikit-learn's value (relative; r2 and the like near 0 would need absolute).
          expect(
            Math.abs(ours - theirs) / Math.abs(theirs),
            `${name}: ours ${ours}, scikit-learn ${theirs}`,
          ).toBeLessThan(0.02);
        }
        const onnx = await model.predict(data.test.rows);
        expect(maxRelativeGap(onnx.scores, trained.predict(data.test.rows))).toBeLessThan(1e-5);
        const proba = trained.predictProba(data.test.rows);
        if (proba) expect(maxRelativeGap(onnx.probabilities!, proba)).toBeLessThan(1e-5);
      } finally {
        await model.release();
      }
    });
  }
});
