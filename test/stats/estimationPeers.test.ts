/**
 * driftloop's performance estimates against NannyML 0.13.1's on the synthetic datasets NannyML
 * ships (fixtures: scripts/fixtures/nannyml_fixtures.py), chunk by chunk (5,000 rows): the
 * realized metric must be the one NannyML computed (same rows, same labels), and driftloop's
 * estimate must be at least as close to it as NannyML's, on average over the chunks.
 */
import { describe, expect, it } from 'vitest';
import { estimateRegressionPerformance, fitLossModel } from '../../stats/estimation/directLossEstimation';
import { fitIsotonicCalibration } from '../../stats/estimation/isotonicCalibration';
import { estimateMulticlassPerformance, fitMulticlassCalibration } from '../../stats/estimation/multiclassEstimation';
import { estimatePerformance } from '../../stats/estimation/performanceEstimation';
import {
  loadNannymlFixture,
  toFloat,
  type BinaryFixture,
  type MulticlassFixture,
  type PeerChunk,
  type RegressionFixture,
  type RegressionSide,
} from './nannymlFixtures';

const METRIC_NAMES: Record<string, string> = {
  roc_auc: 'rocAuc',
  f1: 'f1',
  precision: 'precision',
  recall: 'recall',
  accuracy: 'accuracy',
  mae: 'mae',
  rmse: 'rmse',
};

interface Ours {
  estimated: Record<string, number | null>;
  realized: Record<string, number | null> | null;
  lower: Record<string, number | null>;
  upper: Record<string, number | null>;
}

function compare(chunks: PeerChunk[], ours: Ours[], metrics: string[], realizedTolerance = 1e-12) {
  const rows: { metric: string; ours: number; nannyml: number; inBand: number }[] = [];
  for (const metric of metrics) {
    const key = METRIC_NAMES[metric];
    let oursError = 0;
    let theirsError = 0;
    let inBand = 0;
    chunks.forEach((chunk, i) => {
      const peer = chunk[metric];
      const realized = ours[i].realized?.[key];
      expect(realized, `${metric} realized, chunk ${i}`).not.toBeNull();
      expect(Math.abs((realized as number) - peer.realized), `${metric} realized, chunk ${i}`).toBeLessThanOrEqual(
        realizedTolerance * Math.max(1, Math.abs(peer.realized)),
      );
      const estimated = ours[i].estimated[key] as number;
      oursError += Math.abs(estimated - peer.realized);
      theirsError += Math.abs(peer.estimated - peer.realized);
      if (peer.realized >= (ours[i].lower[key] as number) && peer.realized <= (ours[i].upper[key] as number)) inBand++;
    });
    rows.push({ metric, ours: oursError / chunks.length, nannyml: theirsError / chunks.length, inBand });
  }
  return rows;
}

describe('binary CBPE against NannyML on its synthetic car-loan data (with the model’s own y_pred)', () => {
  const fixture = loadNannymlFixture<BinaryFixture>('binary');
  const calibration = fitIsotonicCalibration(toFloat(fixture.reference.score), toFloat(fixture.reference.label))!;
  const ours = fixture.chunks.map((c) =>
    estimatePerformance(calibration, toFloat(fixture.analysis.score.slice(c.start, c.end)), {
      predicted: fixture.analysis.predicted.slice(c.start, c.end),
      labels: toFloat(fixture.analysis.label.slice(c.start, c.end)),
    }),
  );
  const metrics = ['roc_auc', 'f1', 'precision', 'recall', 'accuracy'];
  it.each(compare(fixture.chunks, ours as unknown as Ours[], metrics).map((r) => [r.metric, r] as const))(
    '%s: at least as close to realized as NannyML on average',
    (_metric, r) => {
      expect(r.ours).toBeLessThanOrEqual(r.nannyml);
      expect(r.inBand).toBeGreaterThanOrEqual(4);
    },
  );
  it('uses the given y_pred, not the score thresholded', () => {
    const c = fixture.chunks[0];
    const scores = toFloat(fixture.analysis.score.slice(c.start, c.end));
    const flipped = fixture.analysis.predicted.slice(c.start, c.end).map((p) => 1 - p);
    const withFlipped = estimatePerformance(calibration, scores, { predicted: flipped });
    expect(withFlipped.estimated.accuracy!).toBeLessThan(0.2);
    expect(() => estimatePerformance(calibration, scores, { predicted: [2, ...flipped.slice(1)] })).toThrow(
      /predicted\[0\] is 2; the predicted label must be 0 or 1/,
    );
  });
});

describe('multiclass CBPE against NannyML on its synthetic credit-card data', () => {
  const fixture = loadNannymlFixture<MulticlassFixture>('multiclass');
  const calibration = fitMulticlassCalibration(fixture.reference.scores.map(toFloat), fixture.reference.label);
  const ours = fixture.chunks.map((c) =>
    estimateMulticlassPerformance(
      calibration,
      fixture.analysis.scores.map((s) => toFloat(s.slice(c.start, c.end))),
      {
        predicted: fixture.analysis.predicted.slice(c.start, c.end),
        labels: fixture.analysis.label.slice(c.start, c.end),
        average: 'macro',
      },
    ),
  );
  const metrics = ['roc_auc', 'f1', 'precision', 'recall', 'accuracy'];
  it.each(compare(fixture.chunks, ours as unknown as Ours[], metrics).map((r) => [r.metric, r] as const))(
    '%s (macro): at least as close to realized as NannyML on average',
    (_metric, r) => {
      expect(r.ours).toBeLessThanOrEqual(r.nannyml);
      // The later chunks carry a concept change that no confidence-based estimate can see.
      expect(r.inBand).toBeGreaterThanOrEqual(5);
    },
  );
  it('micro averages pool the classes; a bad predicted class is named', () => {
    const c = fixture.chunks[0];
    const scores = fixture.analysis.scores.map((s) => toFloat(s.slice(c.start, c.end)));
    const micro = estimateMulticlassPerformance(calibration, scores, { average: 'micro', simulations: 20 });
    expect(micro.estimated.precision).toBe(micro.estimated.accuracy);
    expect(micro.estimated.f1).toBe(micro.estimated.accuracy);
    expect(micro.lower.accuracy!).toBeLessThan(micro.estimated.accuracy!);
    expect(() =>
      estimateMulticlassPerformance(calibration, scores, { predicted: [7, ...fixture.analysis.predicted.slice(1)] }),
    ).toThrow(/predicted\[0\] is 7; give a class index 0\.\.2/);
  });
});

describe('regression DLE against NannyML on its synthetic car-price data', () => {
  const fixture = loadNannymlFixture<RegressionFixture>('regression');
  const side = (s: RegressionSide, from = 0, to = s.predicted.length) => ({
    rows: to - from,
    numerical: Object.fromEntries(Object.entries(s.numerical).map(([k, v]) => [k, toFloat(v.slice(from, to))])),
    categorical: Object.fromEntries(Object.entries(s.categorical).map(([k, v]) => [k, v.slice(from, to)])),
    predicted: toFloat(s.predicted.slice(from, to)),
    labels: toFloat(s.label.slice(from, to)),
  });
  const model = fitLossModel(side(fixture.reference));
  const ours = fixture.chunks.map((c) => estimateRegressionPerformance(model, side(fixture.analysis, c.start, c.end)));
  it.each(compare(fixture.chunks, ours as unknown as Ours[], ['mae', 'rmse'], 1e-9).map((r) => [r.metric, r] as const))(
    '%s: at least as close to realized as NannyML on average, inside the band in most chunks',
    (_metric, r) => {
      expect(r.ours).toBeLessThanOrEqual(r.nannyml);
      expect(r.inBand).toBeGreaterThanOrEqual(9);
    },
  );
  it('needs labels on the reference and names a missing column', () => {
    const reference = side(fixture.reference, 0, 500);
    expect(() => fitLossModel({ ...reference, labels: undefined })).toThrow(/needs labels/);
    const { car_age: _dropped, ...rest } = reference.numerical;
    expect(() => estimateRegressionPerformance(model, { ...reference, numerical: rest })).toThrow(
      /no numerical column car_age/,
    );
  });
});
