/** Concurrent requests for one version are scored in one onnxruntime run, each getting its own rows back. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxModel } from '../../onnx/model';
import { MicroBatcher } from '../../serving/microBatcher';
import { logisticModel, logisticReference, testModelSpec } from '../../testing/onnxModels';
import { v1Spec } from './support';

let model: OnnxModel;
beforeAll(async () => {
  model = await OnnxModel.load(logisticModel(v1Spec), testModelSpec);
});
afterAll(async () => model?.release());

const requests = Array.from({ length: 40 }, (_, i) => [
  { x1: i / 10, x2: 1 - i / 20, c: i % 2 ? 'a' : 'b' },
  { x1: -i / 7, x2: i / 3, c: 'zzz' },
]);

describe('MicroBatcher', () => {
  it('coalesces requests made in the same tick into one run and hands each its slice', async () => {
    const runs: number[] = [];
    const batcher = new MicroBatcher(model, 1024, (rows) => runs.push(rows));
    const answers = await Promise.all(requests.map((rows) => batcher.score(rows)));
    expect(runs).toEqual([80]);
    answers.forEach((a, i) => {
      expect(a.n).toBe(2);
      requests[i].forEach((r, k) => {
        expect(a.batch.scores[a.offset + k]).toBeCloseTo(logisticReference(v1Spec, r.x1, r.x2, r.c), 5);
      });
    });
    expect(batcher.idle).toBe(true);
  });

  it('bounds a run at maxBatchRows and queues the rest for the next run', async () => {
    const runs: number[] = [];
    const batcher = new MicroBatcher(model, 16, (rows) => runs.push(rows));
    const answers = await Promise.all(requests.map((rows) => batcher.score(rows)));
    expect(runs.every((n) => n <= 16)).toBe(true);
    expect(runs.reduce((a, b) => a + b, 0)).toBe(80);
    expect(runs.length).toBe(5);
    answers.forEach((a, i) =>
      expect(a.batch.scores[a.offset + 1]).toBeCloseTo(
        logisticReference(v1Spec, requests[i][1].x1, requests[i][1].x2, 'zzz'),
        5,
      ),
    );
  });

  it('whenIdle resolves only after every queued request is answered', async () => {
    const batcher = new MicroBatcher(model, 4);
    let answered = 0;
    const all = requests.slice(0, 10).map((rows) => batcher.score(rows).then(() => answered++));
    await batcher.whenIdle();
    expect(answered).toBe(10);
    await Promise.all(all);
  });
});
