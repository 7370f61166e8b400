/**
 * The preprocessing inside each built-in graph: raw features as logged (missing numbers, missing
 * and unseen categories) give the same outputs in ONNX as in memory, and the categories carry signal.
 */
import { describe, expect, it } from 'vitest';
import type { FeatureRow, ModelSpec } from '../../onnx/model';
import { OnnxModel } from '../../onnx/model';
import { trainModel, type Algorithm } from '../../training/trainModel';
import type { TrainingSet } from '../../training/trainingSet';
import { seededRandom } from '../../stats/index';
import { maxRelativeGap } from './fixtures';

const features: ModelSpec['features'] = [
  { name: 'income', type: 'numerical' },
  { name: 'age', type: 'numerical' },
  { name: 'region', type: 'categorical', categories: ['north', 'south', 'east'] },
  { name: 'channel', type: 'categorical' },
];

function synthetic(n: number, seed: number): { binary: TrainingSet; regression: TrainingSet; multiclass: TrainingSet } {
  const random = seededRandom(seed).next;
  const rows: FeatureRow[] = [];
  const yb: string[] = [];
  const yr: string[] = [];
  const ym: string[] = [];
  for (let i = 0; i < n; i++) {
    const income = random() < 0.1 ? null : 20 + 80 * random();
    const age = random() < 0.05 ? NaN : 18 + 60 * random();
    const region = ['north', 'south', 'east', 'west', null][Math.floor(random() * 5)];
    const channel = ['web', 'app', 'branch'][Math.floor(random() * 3)];
    rows.push({ income, age, region, channel });
    const z =
      0.05 * ((income ?? 60) - 60) +
      (region === 'south' ? 1.5 : region === 'east' ? -1 : 0) +
      (channel === 'app' ? 0.8 : 0);
    yb.push(z + 0.5 * (random() - 0.5) > 0 ? 'yes' : 'no');
    yr.push(String(100 + 10 * z + random()));
    ym.push(z < -0.5 ? 'low' : z < 0.7 ? 'mid' : 'high');
  }
  return {
    binary: { rows, labels: yb },
    regression: { rows, labels: yr },
    multiclass: { rows, labels: ym },
  };
}

const specs: Record<'binary' | 'regression' | 'multiclass', ModelSpec> = {
  binary: { name: 'loans', task: 'binary', features, target: { name: 'default', classes: ['no', 'yes'] } },
  regression: { name: 'spend', task: 'regression', features, target: { name: 'amount' } },
  multiclass: { name: 'tier', task: 'multiclass', features, target: { name: 'tier', classes: ['low', 'mid', 'high'] } },
};

const runs: Array<[Algorithm, 'binary' | 'regression' | 'multiclass']> = [
  ['logistic_regression', 'binary'],
  ['logistic_regression', 'multiclass'],
  ['ridge', 'regression'],
  ['gbdt', 'binary'],
  ['gbdt', 'multiclass'],
  ['gbdt', 'regression'],
];

describe('in-graph preprocessing', () => {
  const train = synthetic(2000, 3);
  const probe = synthetic(300, 4);
  // Rows as a client may log them: unseen category, every feature missing, strings for numbers.
  const odd: FeatureRow[] = [
    { income: 50, age: 30, region: 'atlantis', channel: 'fax' },
    { income: null, age: null, region: null, channel: null },
    { income: '75.5', age: undefined, region: '', channel: 'app' },
    {},
  ];

  for (const [algorithm, task] of runs) {
    it(`${algorithm} (${task}): ONNX equals the in-memory model on raw rows`, async () => {
      const progress: number[] = [];
      const trained = await trainModel(
        specs[task],
        { algorithm, params: algorithm === 'gbdt' ? { nTrees: 30 } : {} },
        train[task],
        { onProgress: (p) => progress.push(p.done) },
      );
      const model = await OnnxModel.load(trained.onnx, specs[task]);
      try {
        expect(model.inputMode).toBe('per-feature');
        const rows = [...probe[task].rows, ...odd];
        const onnx = await model.predict(rows);
        expect(maxRelativeGap(onnx.scores, trained.predict(rows))).toBeLessThan(1e-5);
        for (const v of onnx.scores) expect(Number.isFinite(v)).toBe(true);
        if (task !== 'regression') {
          expect(maxRelativeGap(onnx.probabilities!, trained.predictProba(rows)!)).toBeLessThan(1e-5);
        }
        // The region carries signal: moving a row from east to south raises the score or value.
        const east = await model.predict([{ income: 60, age: 40, region: 'east', channel: 'web' }]);
        const south = await model.predict([{ income: 60, age: 40, region: 'south', channel: 'web' }]);
        if (task === 'multiclass') expect(east.labels![0]).not.toBe(south.labels![0]);
        else expect(south.scores[0]).toBeGreaterThan(east.scores[0]);
        if (algorithm !== 'ridge') expect(progress.length).toBeGreaterThan(0);
      } finally {
        await model.release();
      }
    });
  }

  it('early stopping keeps the best prefix of trees', async () => {
    const big = synthetic(3000, 9);
    const trained = await trainModel(
      specs.regression,
      { algorithm: 'gbdt', params: { nTrees: 400, learningRate: 0.5, earlyStopping: true, nIterNoChange: 5 } },
      big.regression,
    );
    expect(trained.diagnostics.earlyStopping).toBe(true);
    expect(trained.diagnostics.trees).toBeLessThan(400);
    expect(trained.diagnostics.validationLoss).toBeGreaterThan(0);
    const multi = await trainModel(
      specs.multiclass,
      { algorithm: 'gbdt', params: { nTrees: 400, learningRate: 0.5, earlyStopping: true, nIterNoChange: 5 } },
      big.multiclass,
    );
    // One tree per class per iteration; the kept prefix ends on a whole iteration.
    expect(multi.diagnostics.trees).toBeLessThan(3 * 400);
    expect(Number(multi.diagnostics.trees) % 3).toBe(0);
  });

  it('names what is wrong: params, labels, task', async () => {
    await expect(trainModel(specs.binary, { algorithm: 'gbdt', params: { trees: 5 } }, train.binary)).rejects.toThrow(
      /model loans: invalid gbdt params: .*trees/,
    );
    await expect(
      trainModel(
        specs.binary,
        { algorithm: 'logistic_regression' },
        { rows: train.binary.rows, labels: train.regression.labels },
      ),
    ).rejects.toThrow(/label of row 0 is "[0-9.]+", not one of target.classes \[no, yes\]/);
    await expect(trainModel(specs.regression, { algorithm: 'logistic_regression' }, train.regression)).rejects.toThrow(
      /does not train regression models/,
    );
    await expect(trainModel(specs.multiclass, { algorithm: 'ridge' }, train.multiclass)).rejects.toThrow(
      /algorithm ridge does not train multiclass models \(it trains regression\)/,
    );
  });
});
