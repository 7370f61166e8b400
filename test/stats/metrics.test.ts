import { describe, expect, it } from 'vitest';
import {
  accuracy,
  brierScore,
  f1,
  logLoss,
  mae,
  mape,
  prAuc,
  precision,
  r2,
  recall,
  rmse,
  rocAuc,
} from '../../stats/metrics';
import { expectRelativelyClose, loadStatsFixture } from './fixtureMatch';

interface BinaryCase {
  name: string;
  yTrue: number[];
  scores: number[];
  yPred: number[];
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  precisionNegative: number;
  rocAuc: number;
  prAuc: number;
  logLoss: number;
  brier: number;
}
interface MulticlassCase {
  name: string;
  classes: number | null;
  yTrue: number[];
  yPred: number[];
  probabilities: number[] | null;
  accuracy: number;
  precisionMacro: number;
  recallMacro: number;
  f1Macro: number;
  logLoss: number | null;
}
interface RegressionCase {
  name: string;
  yTrue: number[];
  yPred: number[];
  mae: number;
  rmse: number;
  mape: number;
  r2: number;
}

const fixture = loadStatsFixture<{ binary: BinaryCase[]; multiclass: MulticlassCase[]; regression: RegressionCase[] }>(
  'metrics.json',
);

describe('binary classification metrics match scikit-learn', () => {
  it.each(fixture.binary.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const yTrue = Int32Array.from(c.yTrue);
    const yPred = Float64Array.from(c.yPred);
    const scores = Float64Array.from(c.scores);
    expectRelativelyClose(accuracy(yTrue, yPred), c.accuracy, 'accuracy');
    expectRelativelyClose(precision(yTrue, yPred), c.precision, 'precision');
    expectRelativelyClose(recall(yTrue, yPred), c.recall, 'recall');
    expectRelativelyClose(f1(yTrue, yPred), c.f1, 'f1');
    expectRelativelyClose(precision(yTrue, yPred, { posLabel: 0 }), c.precisionNegative, 'precision of class 0');
    expectRelativelyClose(rocAuc(yTrue, scores), c.rocAuc, 'rocAuc');
    expectRelativelyClose(prAuc(yTrue, scores), c.prAuc, 'prAuc');
    expectRelativelyClose(logLoss(yTrue, scores), c.logLoss, 'logLoss');
    expectRelativelyClose(brierScore(yTrue, scores), c.brier, 'brier');
  });
  it('ROC AUC is invariant to a monotone transform of the scores and flips with them', () => {
    const c = fixture.binary[0];
    const scores = Float64Array.from(c.scores);
    expect(
      rocAuc(
        c.yTrue,
        scores.map((s) => Math.log(s + 1) * 3),
      ),
    ).toBeCloseTo(rocAuc(c.yTrue, scores), 14);
    expect(
      rocAuc(
        c.yTrue,
        scores.map((s) => -s),
      ),
    ).toBeCloseTo(1 - rocAuc(c.yTrue, scores), 14);
  });
});

describe('multiclass metrics match scikit-learn (macro average)', () => {
  it.each(fixture.multiclass.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const yTrue = Int32Array.from(c.yTrue);
    const yPred = Int32Array.from(c.yPred);
    expectRelativelyClose(accuracy(yTrue, yPred), c.accuracy, 'accuracy');
    expectRelativelyClose(precision(yTrue, yPred, { average: 'macro' }), c.precisionMacro, 'precision macro');
    expectRelativelyClose(recall(yTrue, yPred, { average: 'macro' }), c.recallMacro, 'recall macro');
    expectRelativelyClose(f1(yTrue, yPred, { average: 'macro' }), c.f1Macro, 'f1 macro');
    if (c.probabilities && c.classes && c.logLoss !== null) {
      expectRelativelyClose(logLoss(yTrue, c.probabilities, { classes: c.classes }), c.logLoss, 'logLoss');
    }
  });
});

describe('regression metrics match scikit-learn', () => {
  it.each(fixture.regression.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const yTrue = Float64Array.from(c.yTrue);
    const yPred = Float64Array.from(c.yPred);
    expectRelativelyClose(mae(yTrue, yPred), c.mae, 'mae');
    expectRelativelyClose(rmse(yTrue, yPred), c.rmse, 'rmse');
    expectRelativelyClose(mape(yTrue, yPred), c.mape, 'mape');
    expectRelativelyClose(r2(yTrue, yPred), c.r2, 'r2');
  });
});

describe('bad input: a RangeError that names the argument', () => {
  it('rejects mismatched lengths, empty windows and non-finite values', () => {
    expect(() => accuracy([1, 0], [1])).toThrow(/yTrue has 2 rows but yPred has 1/);
    expect(() => mae([], [])).toThrow(/no rows/);
    expect(() => rmse([1, 2], [1, Number.NaN])).toThrow(/yPred\[1\] is NaN/);
    expect(() => rocAuc([1, 0], [Number.POSITIVE_INFINITY, 0])).toThrow(/scores\[0\] is Infinity/);
    expect(() => brierScore([1, 0], [1.5, 0])).toThrow(/probabilities\[0\] is 1.5/);
    expect(() => logLoss([0, 3], [0.5, 0.5, 0.5, 0.5], { classes: 2 })).toThrow(/yTrue\[1\] is 3/);
  });
  it('rejects metrics that are undefined for the window', () => {
    expect(() => rocAuc([1, 1, 1], [0.2, 0.5, 0.9])).toThrow(/needs both classes/);
    expect(() => prAuc([0, 0], [0.2, 0.5])).toThrow(/no positive row/);
    expect(() => r2([3], [3])).toThrow(/fewer than two rows/);
  });
  it('single distinct value: defined results', () => {
    expect(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    expect(precision([1, 1], [0, 0])).toBe(0);
    expect(r2([2, 2], [2, 2])).toBe(1);
  });
});
