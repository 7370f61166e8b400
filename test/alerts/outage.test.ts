/**
 * PagerDuty and a webhook down for 30 seconds (503) while three incidents open, and the worker
 * restarted in the middle: once the sinks are back, every alert arrives, exactly once, through
 * Temporal's real activity retries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDeliveries } from '../../store/alerts';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startReceiver, type Receiver, type Responder } from '../../testing/receiver';
import { connectTemporal, type TemporalTestContext } from '../support/temporal';
import { registerModel } from './fixtures';

const OUTAGE_MS = 30_000;

let tdb: TestDatabase;
let temporal: TemporalTestContext;
let pagerduty: Receiver;
let webhook: Receiver;
let sinkConfig: Record<string, string>;

beforeAll(async () => {
  tdb = await createTestDatabase();
  temporal = await connectTemporal(tdb.db, tdb.url);
  [pagerduty, webhook] = await Promise.all([startReceiver(), startReceiver()]);
  sinkConfig = {
    pagerdutyRoutingKey: 'R0123456789abcdef0123456789abcde',
    pagerdutyUrl: `${pagerduty.url}/v2/enqueue`,
    webhookUrl: `${webhook.url}/hook`,
    webhookSecret: 'outage-secret',
  };
  for (const m of ['alpha', 'beta', 'gamma']) await registerModel(tdb.db, m);
});

afterAll(async () => {
  await temporal?.teardown();
  await Promise.all([pagerduty?.close(), webhook?.close()]);
  await tdb?.drop();
});

describe('a sink outage', () => {
  it('delivers every alert exactly once after the sinks come back', { timeout: 150_000 }, async () => {
    const down: Responder = () => ({ status: 503, body: 'service unavailable' });
    pagerduty.respondWith(down);
    webhook.respondWith(down);
    const first = await temporal.startWorker({ config: { ...temporal.config, ...sinkConfig } });
    const outageStart = Date.now();

    const incidents = [
      { model: 'alpha', kind: 'drift' },
      { model: 'beta', kind: 'performance' },
      { model: 'gamma', kind: 'data_quality' },
    ];
    const runs = await Promise.all(
      incidents.map((i) =>
        temporal.env.client.workflow.start('raiseAlert', {
          taskQueue: temporal.taskQueue,
          workflowId: `outage-${i.model}-${outageStart}`,
          args: [{ action: 'open', ...i }],
        }),
      ),
    );

    // The worker goes away mid-outage; the pending deliveries live on in Temporal and PostgreSQL.
    await pagerduty.waitFor((r) => r.length >= 3);
    await first.stop();
    await new Promise((r) => setTimeout(r, 3000));
    await temporal.startWorker({ config: { ...temporal.config, ...sinkConfig } });

    await new Promise((r) => setTimeout(r, Math.max(0, outageStart + OUTAGE_MS - Date.now())));
    pagerduty.respondWith(() => ({ status: 202, body: '{"status":"success"}' }));
    webhook.respondWith(() => ({ status: 200 }));

    const results = await Promise.all(runs.map((r) => r.result()));
    for (const result of results) {
      expect(result.delivery).toEqual({
        eventId: result.eventId,
        delivered: ['pagerduty', 'webhook'],
        skipped: [],
        failed: [],
      });
    }

    const refused = pagerduty.requests.filter((r) => r.status === 503).length;
    expect(refused).toBeGreaterThanOrEqual(6);
    const pages = pagerduty.accepted().map((r) => (r.json as { dedup_key: string }).dedup_key);
    const dedupKeys = results.map((r, k) => `driftloop/${incidents[k].model}/${incidents[k].kind}/${r.incidentId}`);
    expect(pages.sort()).toEqual(dedupKeys.sort());

    const ledger = await listDeliveries(tdb.db);
    expect(ledger).toHaveLength(6);
    for (const d of ledger) {
      expect(d.status).toBe('delivered');
      expect(d.attempts).toBeGreaterThan(1);
      expect(d.deliveredAt!.getTime()).toBeGreaterThanOrEqual(outageStart + OUTAGE_MS);
    }
  });
});
