import { describe, expect, it } from 'vitest';
import { predictionId } from '../../serving/predictionId';

describe('predictionId (UUID v7)', () => {
  it('is a valid version-7 UUID carrying the millisecond timestamp', () => {
    const at = Date.UTC(2026, 10, 28, 3, 4, 5, 678);
    const id = predictionId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('sorts by time and does not repeat', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => predictionId(1_800_000_000_000 + Math.floor(i / 10)));
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 10; i < ids.length; i += 10) expect(ids[i] > ids[i - 10]).toBe(true);
  });
});
