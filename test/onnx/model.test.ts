import { describe, expect, it } from 'vitest';
import { OnnxModel } from '../../onnx/model';
import { logisticModel, logisticReference, testModelSpec } from '../../testing/onnxModels';

const spec = { coefficients: [0.8, -1.2, 2] as [number, number, number], intercept: -0.3 };

describe('OnnxModel', () => {
  it('runs a per-feature graph and matches the formula', async () => {
    const model = await OnnxModel.load(logisticModel(spec), testModelSpec);
    expect(model.inputMode).toBe('per-feature');
    const rows = [
      { x1: 0.5, x2: 1, c: 'a' },
      { x1: -2, x2: 0.25, c: 'b' },
      { x1: 3, x2: -1, c: 'zzz' },
    ];
    const out = await model.predict(rows);
    expect(out.n).toBe(3);
    rows.forEach((r, i) => {
      const p = logisticReference(spec, r.x1, r.x2, r.c);
      expect(out.scores[i]).toBeCloseTo(p, 5);
      expect(out.probabilities![i * 2]).toBeCloseTo(1 - p, 5);
      expect(out.labels![i]).toBe(p > 0.5 ? 'yes' : 'no');
    });
    await model.release();
  });

  it('rejects a graph whose inputs do not match the schema, naming the missing feature', async () => {
    const wrong = {
      ...testModelSpec,
      features: [...testModelSpec.features, { name: 'income', type: 'numerical' as const }],
    };
    await expect(OnnxModel.load(logisticModel(spec), wrong)).rejects.toThrow(/missing income/);
  });

  it('rejects a categorical feature bound to a float input', async () => {
    const wrong = {
      ...testModelSpec,
      features: testModelSpec.features.map((f) => (f.name === 'x1' ? { name: 'x1', type: 'categorical' as const } : f)),
    };
    await expect(OnnxModel.load(logisticModel(spec), wrong)).rejects.toThrow(
      /"x1" is float32; a categorical feature needs a string input/,
    );
  });

  it('rejects bytes that are not ONNX', async () => {
    await expect(OnnxModel.load(new Uint8Array([1, 2, 3]), testModelSpec)).rejects.toThrow(/cannot load the graph/);
  });
});
