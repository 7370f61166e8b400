import { describe, expect, it } from 'vitest';
import {
  canCompareLive,
  datasetShortfall,
  judgeLive,
  judgeOnHoldout,
  profileRowIndexes,
} from '../../training/championChallenger';

const holdout = {
  metric: 'accuracy',
  higherIsBetter: true,
  challengerVersion: 3,
  championVersion: 2,
  holdoutRows: 400,
  datasetId: 9,
  minImprovement: 0.005,
};

describe('champion vs challenger on the holdout', () => {
  it('accepts a challenger that beats the champion by the minimum improvement', () => {
    const j = judgeOnHoldout({ ...holdout, challenger: 0.85, champion: 0.8 });
    expect(j.accepted).toBe(true);
    expect(j.reason).toBe('challenger 3 accuracy 0.8500 beats champion 2 0.8000 on 400 holdout rows');
  });

  it('rejects one that is better by less than the minimum improvement, naming the policy key', () => {
    const j = judgeOnHoldout({ ...holdout, challenger: 0.803, champion: 0.8 });
    expect(j.accepted).toBe(false);
    expect(j.reason).toContain('does not beat it by 0.005 (policy.retrain.minImprovement)');
  });

  it('reads lower-is-better metrics the other way round', () => {
    const rmse = { ...holdout, metric: 'rmse', higherIsBetter: false };
    expect(judgeOnHoldout({ ...rmse, challenger: 1.0, champion: 1.2 }).accepted).toBe(true);
    expect(judgeOnHoldout({ ...rmse, challenger: 1.2, champion: 1.0 }).accepted).toBe(false);
  });

  it('accepts when there is no champion, and rejects a metric that cannot be computed', () => {
    expect(judgeOnHoldout({ ...holdout, championVersion: null, challenger: 0.6, champion: null })).toEqual({
      accepted: true,
      reason: 'challenger 3 accuracy 0.6000 on 400 holdout rows; no champion to beat',
    });
    expect(judgeOnHoldout({ ...holdout, challenger: null, champion: 0.8 })).toEqual({
      accepted: false,
      reason: 'accuracy cannot be computed on the holdout of dataset 9',
    });
  });
});

describe('live comparison', () => {
  const live = {
    metric: 'accuracy',
    higherIsBetter: true,
    stage: 'canary',
    challengerVersion: 3,
    championVersion: 2,
    labeledRows: 500,
    minLabeledRows: 100,
    rollbackMargin: 0.02,
  };

  it('is worse only below the champion by more than the rollback margin', () => {
    expect(judgeLive({ ...live, challenger: 0.7, champion: 0.75 }).verdict).toBe('worse');
    expect(judgeLive({ ...live, challenger: 0.74, champion: 0.75 }).verdict).toBe('same');
    expect(judgeLive({ ...live, challenger: 0.76, champion: 0.75 }).verdict).toBe('better');
    expect(judgeLive({ ...live, metric: 'mae', higherIsBetter: false, challenger: 2, champion: 1 }).verdict).toBe(
      'worse',
    );
  });

  it('is insufficient with too few labeled rows, no champion, or an uncomputable metric', () => {
    expect(canCompareLive({ ...live, labeledRows: 99 })).toBe(false);
    expect(canCompareLive({ ...live, championVersion: null })).toBe(false);
    const few = judgeLive({ ...live, labeledRows: 99, challenger: null, champion: null });
    expect(few).toEqual({
      verdict: 'insufficient',
      summary: '99 labeled canary rows of version 3, 100 needed (policy.performance.minLabeledRows)',
    });
    expect(judgeLive({ ...live, challenger: null, champion: 0.7 }).verdict).toBe('insufficient');
  });
});

describe('dataset size and profile rows', () => {
  it('names what is missing when a dataset is too small', () => {
    const size = { model: 'loans', datasetId: 4, trainRows: 400, holdoutRows: 30, referenceRows: 0, recentRows: 430 };
    expect(datasetShortfall(size)).toContain('400 training and 30 holdout rows');
    expect(datasetShortfall(size)).toContain('policy.retrain.recentWindowHours');
    expect(datasetShortfall({ ...size, holdoutRows: 50 })).toBeNull();
  });

  it('takes the holdout, else the recent rows, else everything', () => {
    const t = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m));
    const train = [t(0), t(1), t(5), t(6)];
    const hold = [t(7), t(8)];
    expect(profileRowIndexes(train, hold, t(5), 2)).toEqual([4, 5]);
    expect(profileRowIndexes(train, hold, t(5), 3)).toEqual([2, 3, 4, 5]);
    expect(profileRowIndexes(train, hold, t(5), 5)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
