/**
 * The classification extension's ranking and parameter checks, on tensors written by hand (the real-client test,
 * classification.test.ts, checks it end to end against onnxruntime): descending values, ties lower index first,
 * NaN (null) last, "value:index[:label]" with six decimals, k capped at the class count, bad k refused.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../serving/featureInput';
import { classCount, classify } from '../../serving/oip/classification';

describe('classification extension', () => {
  it('ranks each row highest first, ties by lower index, NaN last, with labels when known', () => {
    const tensor = {
      name: 'probabilities',
      datatype: 'FP32' as const,
      shape: [2, 4],
      data: [0.1, 0.4, null, 0.4, 0.25, 0.125, 0.5, 0.125],
    };
    expect(classify('m', tensor, 3, ['a', 'b', 'c', 'd'])).toEqual({
      name: 'probabilities',
      datatype: 'BYTES',
      shape: [2, 3],
      data: ['0.400000:1:b', '0.400000:3:d', '0.100000:0:a', '0.500000:2:c', '0.250000:0:a', '0.125000:1:b'],
    });
    const all = classify('m', tensor, 9, null);
    expect(all.shape).toEqual([2, 4]);
    expect(all.data.slice(0, 4)).toEqual(['0.400000:1', '0.400000:3', '0.100000:0', 'nan:2']);
  });

  it('classifies a one-element-per-row output as index 0, and refuses BYTES outputs naming the fix', () => {
    const score = { name: 'value', datatype: 'FP64' as const, shape: [2], data: [-1.5, 2e-7] };
    expect(classify('m', score, 2, null)).toMatchObject({ shape: [2, 1], data: ['-1.500000:0', '0.000000:0'] });
    const label = { name: 'label', datatype: 'BYTES' as const, shape: [1], data: ['x'] };
    expect(() => classify('m', label, 1, null)).toThrow(/output "label" holds BYTES, which cannot be classified/);
  });

  it('reads parameters.classification as a positive integer and refuses anything else with a 400', () => {
    expect(classCount('m', { name: 'p' })).toBeNull();
    expect(classCount('m', { name: 'p', parameters: { classification: 3 } })).toBe(3);
    expect(classCount('m', { name: 'p', parameters: { classification: '2' } })).toBe(2);
    for (const bad of [0, -1, 1.5, 'two', true, {}]) {
      let err: unknown;
      try {
        classCount('m', { name: 'p', parameters: { classification: bad } });
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(bad)).toBeInstanceOf(InputError);
      expect((err as InputError).status).toBe(400);
      expect((err as InputError).message).toMatch(/output "p": parameters.classification must be a positive integer/);
    }
  });
});
