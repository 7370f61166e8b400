/**
 * The alert activities against a real database and local receivers, called directly: idempotent
 * events, suppression while a retrain is in flight, per-sink rate limits, routing by policy and
 * severity, and how sink answers (4xx, 5xx, 429) are recorded.
 */
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAlertActivities } from '../../activities/alerts';
import { loadConfig } from '../../config/index';
import { createLogger } from '../../config/logger';
import { listDeliveries, pagesInLastHour } from '../../store/alerts';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startReceiver, type Receiver } from '../../testing/receiver';
import { registerModel } from './fixtures';

let tdb: TestDatabase;
let pagerduty: Receiver;
let slack: Receiver;
let activities: ReturnType<typeof createAlertActivities>;
let deps: Parameters<typeof createAlertActivities>[0];
let key = 0;
const origin = () => ({ eventKey: `test/${++key}`, workflowId: 'monitor-test', runId: 'run-1' });

beforeAll(async () => {
  tdb = await createTestDatabase();
  [pagerduty, slack] = await Promise.all([startReceiver(() => ({ status: 202 })), startReceiver()]);
  const config = {
    ...loadConfig({ DATABASE_URL: tdb.url }),
    pagerdutyRoutingKey: 'R0123456789abcdef0123456789abcde',
    pagerdutyUrl: `${pagerduty.url}/v2/enqueue`,
    slackWebhookUrl: `${slack.url}/hook`,
  };
  deps = { db: tdb.db, config, logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent') };
  activities = createAlertActivities(deps);
  for (const m of ['ads', 'churn', 'quiet', 'pdonly', 'flappy']) await registerModel(tdb.db, m);
  await registerModel(tdb.db, 'notes', { severity: 'info' });
  await registerModel(tdb.db, 'slackonly', { sinks: ['slack', 'webhook'] });
});

afterAll(async () => {
  await Promise.all([pagerduty?.close(), slack?.close()]);
  await tdb?.drop();
});

beforeEach(() => {
  pagerduty.respondWith(() => ({ status: 202 }));
  slack.respondWith(() => ({ status: 200, body: 'ok' }));
});

async function deliverAll(notice: { eventId: number | null; deliver: string[] }) {
  for (const sink of notice.deliver) await activities.deliverAlertEvent(notice.eventId!, sink as 'slack');
}

describe('incident lifecycle', () => {
  it('returns the same event for a retried call with the same event key', async () => {
    const o = origin();
    const first = await activities.openIncident({ model: 'churn', kind: 'drift', ...o });
    const again = await activities.openIncident({ model: 'churn', kind: 'drift', ...o });
    expect(again).toEqual(first);
    expect(first.action).toBe('opened');
    const { rows } = await tdb.db.query(`SELECT count(*)::int AS n FROM alert_events WHERE event_key = $1`, [
      o.eventKey,
    ]);
    expect(rows[0].n).toBe(1);
    await deliverAll(first);
    // Delivering a delivered event again (an activity retried after it succeeded) sends nothing.
    const before = slack.requests.length;
    expect(await activities.deliverAlertEvent(first.eventId!, 'slack')).toMatchObject({
      status: 'delivered',
      sent: false,
    });
    expect(slack.requests.length).toBe(before);
  });

  it('holds the page while a retrain is in flight, and pages once it is over and the problem persists', async () => {
    await tdb.db.query(
      `INSERT INTO retrain_runs (model, workflow_id, run_id, trigger, status) VALUES ('ads', 'retrain-ads-1', 'r1', 'drift', 'running')`,
    );
    const held = await activities.openIncident({ model: 'ads', kind: 'performance', ...origin() });
    expect(held).toMatchObject({ action: 'opened', deliver: [], held: ['pagerduty', 'slack'] });
    const { rows } = await tdb.db.query(`SELECT status FROM alerts WHERE id = $1`, [held.incidentId]);
    expect(rows[0].status).toBe('firing');

    // The retrain's own message (approval needed) is not held by itself.
    const own = await activities.openIncident({
      model: 'ads',
      kind: 'deploy_failed',
      next: 'approval_needed',
      retrainWorkflowId: 'retrain-ads-1',
      ...origin(),
    });
    expect(own).toMatchObject({ deliver: ['pagerduty', 'slack'], held: [] });

    await tdb.db.query(`UPDATE retrain_runs SET status = 'failed' WHERE workflow_id = 'retrain-ads-1'`);
    const released = await activities.openIncident({ model: 'ads', kind: 'performance', ...origin() });
    expect(released).toMatchObject({ action: 'updated', incidentId: held.incidentId, deliver: ['pagerduty', 'slack'] });
    await deliverAll(released);
    const later = await activities.openIncident({ model: 'ads', kind: 'performance', ...origin() });
    expect(later).toMatchObject({ action: 'updated', deliver: [], held: [] });
    const pages = pagerduty.requests.filter(
      (r) => (r.json as { payload?: { component: string; class: string } }).payload?.class === 'performance',
    );
    expect(pages).toHaveLength(1);
  });

  it('pages again when an open incident newly needs an approval', async () => {
    const opened = await activities.openIncident({
      model: 'quiet',
      kind: 'drift',
      next: 'retrain_started',
      ...origin(),
    });
    await deliverAll(opened);
    const approval = await activities.openIncident({
      model: 'quiet',
      kind: 'drift',
      next: 'approval_needed',
      ...origin(),
    });
    expect(approval).toMatchObject({ action: 'updated', deliver: ['pagerduty', 'slack'] });
  });

  it('routes by policy sinks and by severity', async () => {
    const info = await activities.openIncident({ model: 'notes', kind: 'data_quality', ...origin() });
    expect(info.deliver).toEqual(['slack']);
    const restricted = await activities.openIncident({ model: 'slackonly', kind: 'drift', ...origin() });
    expect(restricted.deliver).toEqual(['slack']);
  });

  it('rate limits pages per sink and hour, but never a resolve', async () => {
    // Slack may page once more this hour.
    const spent = (await pagesInLastHour(tdb.db)).slack ?? 0;
    const limited = createAlertActivities(deps, { rateLimits: { slack: spent + 1 } });
    const flappy = [];
    for (const kind of ['drift', 'performance', 'data_quality'] as const) {
      flappy.push(await limited.openIncident({ model: 'flappy', kind, ...origin() }));
    }
    expect(flappy.map((n) => [n.deliver, n.rateLimited])).toEqual([
      [['pagerduty', 'slack'], []],
      [['pagerduty'], ['slack']],
      [['pagerduty'], ['slack']],
    ]);
    const resolved = await limited.resolveIncident({ model: 'churn', kind: 'drift', reason: 'healthy', ...origin() });
    expect(resolved).toMatchObject({ action: 'resolved', deliver: ['pagerduty', 'slack'] });
  });

  it('records a 4xx as failed with the sink message, and never retries it', async () => {
    slack.respondWith(() => ({ status: 404, body: 'no_service' }));
    const notice = await activities.openIncident({
      model: 'pdonly',
      kind: 'rollback',
      severity: 'warning',
      ...origin(),
    });
    expect(notice.deliver).toContain('slack');
    const err = await activities.deliverAlertEvent(notice.eventId!, 'slack').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'SinkRejected', nonRetryable: true });
    expect((err as Error).message).toContain('answered 404: no_service');
    const row = (await listDeliveries(tdb.db, 'pdonly')).find((d) => d.sink === 'slack')!;
    expect(row).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastStatus: 404,
      lastError: expect.stringContaining('no_service'),
    });
    expect(await activities.deliverAlertEvent(notice.eventId!, 'slack')).toMatchObject({
      status: 'failed',
      sent: false,
    });
  });

  it('throws retryable on 5xx and 429 (honouring Retry-After), keeping the delivery pending', async () => {
    pagerduty.respondWith(() => ({ status: 503, body: 'upstream down' }));
    const notice = await activities.openIncident({ model: 'pdonly', kind: 'drift', ...origin() });
    const down = await activities.deliverAlertEvent(notice.eventId!, 'pagerduty').catch((e: unknown) => e);
    expect(down).toMatchObject({ type: 'SinkUnavailable', nonRetryable: false });
    pagerduty.respondWith(() => ({ status: 429, body: 'throttled', headers: { 'retry-after': '7' } }));
    const throttled = await activities.deliverAlertEvent(notice.eventId!, 'pagerduty').catch((e: unknown) => e);
    expect(throttled).toMatchObject({ type: 'SinkUnavailable', nonRetryable: false, nextRetryDelay: 7000 });
    const row = (await listDeliveries(tdb.db, 'pdonly')).find(
      (d) => d.eventId === notice.eventId && d.sink === 'pagerduty',
    )!;
    expect(row).toMatchObject({
      status: 'pending',
      attempts: 2,
      lastStatus: 429,
      lastError: expect.stringContaining('throttled'),
    });
    pagerduty.respondWith(() => ({ status: 202 }));
    expect(await activities.deliverAlertEvent(notice.eventId!, 'pagerduty')).toMatchObject({
      status: 'delivered',
      sent: true,
      attempts: 3,
    });
  });

  it('drops a page that was still undelivered when its incident resolved', async () => {
    const opened = await activities.openIncident({ model: 'churn', kind: 'performance', ...origin() });
    const resolved = await activities.resolveIncident({
      model: 'churn',
      kind: 'performance',
      reason: 'fixed',
      ...origin(),
    });
    const before = pagerduty.requests.length;
    expect(await activities.deliverAlertEvent(opened.eventId!, 'pagerduty')).toMatchObject({
      status: 'superseded',
      sent: false,
    });
    expect(pagerduty.requests.length).toBe(before);
    await deliverAll(resolved);
    expect(pagerduty.requests.length).toBe(before + 1);
  });

  it('marks a delivery failed when its retries ran out, and only a pending one', async () => {
    const notice = await activities.openIncident({ model: 'quiet', kind: 'performance', ...origin() });
    expect(await activities.abandonAlertDelivery(notice.eventId!, 'pagerduty', 'gave up after retrying: timeout')).toBe(
      true,
    );
    expect(await activities.abandonAlertDelivery(notice.eventId!, 'pagerduty', 'again')).toBe(false);
    const row = (await listDeliveries(tdb.db, 'quiet')).find(
      (d) => d.eventId === notice.eventId && d.sink === 'pagerduty',
    )!;
    expect(row).toMatchObject({ status: 'failed', lastError: 'gave up after retrying: timeout' });
    const before = pagerduty.requests.length;
    expect(await activities.deliverAlertEvent(notice.eventId!, 'pagerduty')).toMatchObject({
      status: 'failed',
      sent: false,
    });
    expect(pagerduty.requests.length).toBe(before);
  });
});
