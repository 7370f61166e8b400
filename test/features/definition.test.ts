/** Feature definitions in the model definition: what is accepted, and errors that name the field and the fix. */
import { describe, expect, it } from 'vitest';
import { describeIssues, modelDefinitionSchema } from '../../config/model';
import { aggregateWindow, StreamWindows, type FeatureEvent } from '../../features/windows';
import { deliveryFeatures } from '../../testing/featureFixture';

function problems(features: unknown[]): string {
  const parsed = modelDefinitionSchema.safeParse({
    name: 'delivery',
    task: 'regression',
    features,
    target: { name: 'minutes' },
  });
  return parsed.success ? '' : describeIssues(parsed.error);
}

const stream = (source: Record<string, unknown>, type = 'numerical') => [
  { name: 'distance_km', type: 'numerical' },
  { name: 'f', type, source: { kind: 'stream', stream: 'orders', entity: 'zone', window: '10m', ...source } },
];

describe('feature definitions', () => {
  it('accepts request, batch and stream features and fills the defaults', () => {
    const parsed = modelDefinitionSchema.parse({
      name: 'delivery',
      task: 'regression',
      features: deliveryFeatures('restaurant_prep'),
      target: { name: 'minutes' },
    });
    expect(parsed.features[1].source).toEqual({
      kind: 'batch',
      table: 'restaurant_prep',
      entity: 'restaurant_id',
      column: 'mean_prep_minutes',
      asOfColumn: 'as_of',
      maxAge: '1d',
      cache: '1s',
    });
    expect(problems([{ name: 'x', type: 'numerical', source: { kind: 'request' } }])).toBe('');
  });

  it('names the field and the fix for each mistake', () => {
    expect(problems(stream({ aggregate: 'mean' }))).toBe(
      'features.1.source.field: aggregate mean needs the event field to aggregate, e.g. field: amount',
    );
    expect(problems(stream({ aggregate: 'count', field: 'amount' }))).toMatch(
      /^features\.1\.source\.field: count counts events and takes no field/,
    );
    expect(problems(stream({ aggregate: 'count', window: '10 min' }))).toMatch(
      /^features\.1\.source\.window: a duration is a positive whole number and a unit/,
    );
    expect(problems(stream({ aggregate: 'count', window: '31d' }))).toBe(
      'features.1.source.window: a window is at most 30d',
    );
    expect(problems(stream({ aggregate: 'median', field: 'amount' }))).toMatch(/^features\.1\.source\.aggregate: /);
    expect(problems(stream({ aggregate: 'count' }, 'categorical'))).toBe(
      'features.1.type: stream feature f is an aggregate (count): declare it numerical',
    );
    expect(problems(stream({ aggregate: 'count', Window: '1h' }))).toMatch(/features\.1\.source: .*Window/);
    expect(
      problems([
        {
          name: 'p',
          type: 'numerical',
          source: { kind: 'batch', table: 'prep; drop table x', entity: 'r', column: 'c', maxAge: '1h' },
        },
      ]),
    ).toMatch(/^features\.0\.source\.table: a table or view name/);
    expect(
      problems([
        {
          name: 'p',
          type: 'numerical',
          source: { kind: 'batch', table: 't', entity: 'r', column: 'c', maxAge: '1h', cache: '2h' },
        },
      ]),
    ).toBe('features.0.source.cache: cache 2h is longer than maxAge 1h: a cached value would outlive its max age');
    expect(problems([{ name: 'p', type: 'numerical', source: { kind: 'feast' } }])).toMatch(
      /^features\.0\.source\.kind: /,
    );
  });
});

describe('sliding windows', () => {
  const ev = (id: string, ts: number, receivedAt: number, amount: number | null, courier = 'c'): FeatureEvent => ({
    id,
    ts,
    receivedAt,
    fields: { zone: 'n', amount, courier },
  });

  it('computes each aggregate over (t − window, t] among events received by t', () => {
    const events = [
      ev('a', 100, 100, 1, 'x'),
      ev('b', 150, 400, 5, 'y'),
      ev('c', 200, 200, 3, 'x'),
      ev('d', 300, 300, null, 'z'),
    ];
    expect(aggregateWindow(events, 300, 200, 'count', undefined)).toBe(2); // c, d (b arrived at 400; a at the open edge)
    expect(aggregateWindow(events, 400, 300, 'count', undefined)).toBe(3); // b, c, d
    expect(aggregateWindow(events, 400, 300, 'sum', 'amount')).toBe(8);
    expect(aggregateWindow(events, 400, 300, 'mean', 'amount')).toBe(4);
    expect(aggregateWindow(events, 400, 300, 'min', 'amount')).toBe(3);
    expect(aggregateWindow(events, 400, 300, 'max', 'amount')).toBe(5);
    expect(aggregateWindow(events, 400, 300, 'distinct_count', 'courier')).toBe(3);
    expect(aggregateWindow(events, 50, 300, 'mean', 'amount')).toBeNull();
    expect(aggregateWindow(events, 50, 300, 'count', undefined)).toBe(0);
  });

  it('gives the same values whatever the arrival order, and keeps each id once', () => {
    const events = Array.from({ length: 200 }, (_, i) => ev(`e${i}`, 1_000 + ((i * 7919) % 500), 0, (i % 13) * 0.1));
    const inOrder = new StreamWindows('orders', ['zone'], 10_000);
    const shuffled = new StreamWindows('orders', ['zone'], 10_000);
    for (const e of [...events].sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1))) inOrder.add(e);
    for (const e of events) shuffled.add(e);
    for (const e of events.slice(0, 20)) expect(shuffled.add(e)).toBe('duplicate');
    for (const t of [1_100, 1_250, 1_499, 2_000]) {
      for (const agg of ['count', 'sum', 'mean', 'min', 'max'] as const) {
        const field = agg === 'count' ? undefined : 'amount';
        expect(shuffled.aggregate('zone', 'n', t, 300, agg, field)).toBe(
          inOrder.aggregate('zone', 'n', t, 300, agg, field),
        );
      }
    }
    expect(shuffled.size).toBe(200);
    expect(shuffled.add(ev('old', 1_000, 20_000, 1), 20_000)).toBe('expired');
  });
});
