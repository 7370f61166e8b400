/**
 * The raiseAlert workflow on a real Temporal server and database, delivering to local receivers
 * that stand in for PagerDuty, Slack and a webhook: the exact payloads, one page per incident,
 * the resolve, and the webhook's signature.
 */
import { createHmac } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../alerts/webhook';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startReceiver, type Receiver } from '../../testing/receiver';
import { connectTemporal, type TemporalTestContext } from '../support/temporal';
import { insertDriftRun, registerModel, WINDOW } from './fixtures';

const ROUTING_KEY = 'R0123456789abcdef0123456789abcde';
const SECRET = 'whsec-test-secret';

let tdb: TestDatabase;
let temporal: TemporalTestContext;
let pagerduty: Receiver;
let slack: Receiver;
let webhook: Receiver;
let driftRunId: number;
let uiBase: string;

beforeAll(async () => {
  tdb = await createTestDatabase();
  temporal = await connectTemporal(tdb.db, tdb.url);
  [pagerduty, slack, webhook] = await Promise.all([
    startReceiver(() => ({ status: 202, body: '{"status":"success","message":"Event processed"}' })),
    startReceiver(),
    startReceiver(),
  ]);
  await temporal.startWorker({
    config: {
      ...temporal.config,
      pagerdutyRoutingKey: ROUTING_KEY,
      pagerdutyUrl: `${pagerduty.url}/v2/enqueue`,
      slackWebhookUrl: `${slack.url}/services/T000/B000/XXXX`,
      webhookUrl: `${webhook.url}/driftloop`,
      webhookSecret: SECRET,
    },
  });
  const [host, port] = temporal.config.temporalAddress!.split(':');
  uiBase = `http://${host}:${Number(port) + 1000}`;
  await registerModel(tdb.db, 'churn');
  driftRunId = await insertDriftRun(tdb.db, 'churn');
});

afterAll(async () => {
  await temporal?.teardown();
  await Promise.all([pagerduty?.close(), slack?.close(), webhook?.close()]);
  await tdb?.drop();
});

async function raise(workflowId: string, input: Record<string, unknown>) {
  const handle = await temporal.env.client.workflow.start('raiseAlert', {
    taskQueue: temporal.taskQueue,
    workflowId,
    args: [input],
  });
  return { result: await handle.result(), runId: handle.firstExecutionRunId };
}

const grafana = `http://localhost:3000/d/driftloop-model-drift?var-model=churn&from=${WINDOW.start.getTime()}&to=${WINDOW.end.getTime()}`;
const findings = [
  { feature: 'plan', kind: 'feature', test: 'chi_square', statistic: 88.5, pvalue: 0.00000123, threshold: 0.05 },
  { feature: 'tenure', kind: 'feature', test: 'psi', statistic: 0.41, pvalue: null, threshold: 0.2 },
];
const nextText =
  'A retrain has started (workflow retrain-churn-7); you will hear when the new model is deployed or the retrain fails. No action is needed now.';

describe('a drift incident through PagerDuty, Slack and a webhook', () => {
  let incidentId: number;
  let temporalLink: string;
  let openedAt: string;

  it('pages each sink once with the exact payloads', async () => {
    const started = Date.now();
    const workflowId = `drift-churn-${started}`;
    const { result, runId } = await raise(workflowId, {
      action: 'open',
      model: 'churn',
      kind: 'drift',
      driftRunId,
      next: 'retrain_started',
      retrainWorkflowId: 'retrain-churn-7',
    });
    expect(result).toMatchObject({
      action: 'opened',
      deliver: ['pagerduty', 'slack', 'webhook'],
      held: [],
      rateLimited: [],
      delivery: { delivered: ['pagerduty', 'slack', 'webhook'], skipped: [], failed: [] },
    });
    incidentId = result.incidentId;
    temporalLink = `${uiBase}/namespaces/default/workflows/${workflowId}/${runId}`;
    const row = await tdb.db.query(`SELECT opened_at, status, summary, dedup_key FROM alerts WHERE id = $1`, [
      incidentId,
    ]);
    openedAt = row.rows[0].opened_at.toISOString();
    expect(row.rows[0]).toMatchObject({
      status: 'firing',
      summary: 'churn: input drift in 2 of 3 features (plan, tenure)',
      dedup_key: `driftloop/churn/drift/${incidentId}`,
    });

    expect(pagerduty.requests).toHaveLength(1);
    const pd = pagerduty.requests[0];
    expect(pd.path).toBe('/v2/enqueue');
    const timestamp = (pd.json as { payload: { timestamp: string } }).payload.timestamp;
    expect(Date.parse(timestamp)).toBeGreaterThanOrEqual(started - 1000);
    expect(pd.json).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: `driftloop/churn/drift/${incidentId}`,
      payload: {
        summary: 'churn: input drift in 2 of 3 features (plan, tenure)',
        source: 'driftloop/churn',
        severity: 'critical',
        timestamp,
        component: 'churn',
        group: 'driftloop',
        class: 'drift',
        custom_details: {
          next_step: nextText,
          findings,
          drifted_features: '2 of 3',
          drift_score: 0.42,
          drift_run_id: driftRunId,
          incident_id: incidentId,
          opened_at: openedAt,
        },
      },
      links: [
        { href: grafana, text: 'Grafana: churn drift dashboard' },
        { href: temporalLink, text: 'Temporal: workflow run' },
      ],
      client: 'driftloop',
      client_url: grafana,
    });

    expect(slack.requests).toHaveLength(1);
    expect(slack.requests[0].path).toBe('/services/T000/B000/XXXX');
    expect(slack.requests[0].json).toEqual({
      text: '[critical] churn: input drift in 2 of 3 features (plan, tenure)',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: ':red_circle: churn input drift', emoji: true } },
        {
          type: 'section',
          text: { type: 'mrkdwn', text: `*churn: input drift in 2 of 3 features (plan, tenure)*\n${nextText}` },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text:
              '*Top drifted features*\n' +
              '• plan: chi_square=88.5 (p=1.23e-6, threshold 0.05)\n' +
              '• tenure: psi=0.41 (threshold 0.2)',
          },
        },
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: `severity *critical* · incident #${incidentId} · opened ${openedAt}` }],
        },
        {
          type: 'actions',
          elements: [
            { type: 'button', text: { type: 'plain_text', text: 'Grafana dashboard' }, url: grafana },
            { type: 'button', text: { type: 'plain_text', text: 'Temporal run' }, url: temporalLink },
          ],
        },
      ],
    });
  });

  it('signs the webhook with HMAC-SHA256 over timestamp and body', async () => {
    expect(webhook.requests).toHaveLength(1);
    const hook = webhook.requests[0];
    const ts = String(hook.headers['x-driftloop-timestamp']);
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(120);
    const expected = 'sha256=' + createHmac('sha256', SECRET).update(`${ts}.${hook.body}`).digest('hex');
    expect(hook.headers['x-driftloop-signature']).toBe(expected);
    const signature = { signature: expected, timestamp: ts };
    expect(verifyWebhookSignature(SECRET, signature, hook.body)).toBe(true);
    expect(verifyWebhookSignature('wrong-secret', signature, hook.body)).toBe(false);
    expect(verifyWebhookSignature(SECRET, signature, hook.body.replace('churn', 'chur n'))).toBe(false);
    // A captured request replayed ten minutes later is refused.
    expect(verifyWebhookSignature(SECRET, signature, hook.body, 300, Number(ts) + 600)).toBe(false);
    const body = hook.json as { eventId: number; type: string; incident: Record<string, unknown> };
    expect(hook.headers['x-driftloop-event-id']).toBe(String(body.eventId));
    expect(body.type).toBe('incident.triggered');
    expect(body.incident).toMatchObject({
      incidentId,
      model: 'churn',
      kind: 'drift',
      severity: 'critical',
      action: 'trigger',
      next: 'retrain_started',
      findings,
      links: { grafana, temporal: temporalLink },
    });
  });

  it('does not page again while the same incident stays open', async () => {
    const { result } = await raise(`drift-churn-again-${Date.now()}`, {
      action: 'open',
      model: 'churn',
      kind: 'drift',
      driftRunId,
      next: 'retrain_started',
      retrainWorkflowId: 'retrain-churn-7',
    });
    expect(result).toMatchObject({ action: 'updated', incidentId, deliver: [] });
    expect([pagerduty.requests.length, slack.requests.length, webhook.requests.length]).toEqual([1, 1, 1]);
  });

  it('resolves everywhere it paged, with the same dedup_key', async () => {
    const { result } = await raise(`resolve-churn-${Date.now()}`, {
      action: 'resolve',
      model: 'churn',
      kind: 'drift',
      reason: 'version 2 promoted by retrain-churn-7',
    });
    expect(result).toMatchObject({ action: 'resolved', incidentId, deliver: ['pagerduty', 'slack', 'webhook'] });
    expect(pagerduty.requests).toHaveLength(2);
    expect(pagerduty.requests[1].json).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'resolve',
      dedup_key: `driftloop/churn/drift/${incidentId}`,
    });
    const resolvedSlack = slack.requests[1].json as { text: string; blocks: unknown[] };
    expect(resolvedSlack.text).toBe('[resolved] churn: input drift in 2 of 3 features (plan, tenure)');
    expect(resolvedSlack.blocks.slice(0, 2)).toEqual([
      {
        type: 'header',
        text: { type: 'plain_text', text: ':white_check_mark: Resolved: churn input drift', emoji: true },
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: '*churn: input drift in 2 of 3 features (plan, tenure)*\nversion 2 promoted by retrain-churn-7',
        },
      },
    ]);
    const hook = webhook.requests[1];
    expect((hook.json as { type: string }).type).toBe('incident.resolved');
    expect(
      verifyWebhookSignature(
        SECRET,
        {
          signature: String(hook.headers['x-driftloop-signature']),
          timestamp: String(hook.headers['x-driftloop-timestamp']),
        },
        hook.body,
      ),
    ).toBe(true);
    const row = await tdb.db.query(`SELECT status, resolved_at FROM alerts WHERE id = $1`, [incidentId]);
    expect(row.rows[0].status).toBe('resolved');
    expect(row.rows[0].resolved_at).toBeInstanceOf(Date);
  });

  it('resolving a model with no open incident sends nothing', async () => {
    const { result } = await raise(`resolve-none-${Date.now()}`, {
      action: 'resolve',
      model: 'churn',
      kind: 'performance',
      reason: 'healthy',
    });
    expect(result).toEqual({ incidentId: null, eventId: null, action: 'none', deliver: [], held: [], rateLimited: [] });
    expect(pagerduty.requests).toHaveLength(2);
  });

  it('fails raiseAlert with the sink message when a sink rejects the alert, after delivering to the others', async () => {
    slack.respondWith(() => ({ status: 404, body: 'no_service' }));
    const err = await raise(`rollback-churn-${Date.now()}`, { action: 'open', model: 'churn', kind: 'rollback' }).catch(
      (e: unknown) => e as Error & { cause?: Error },
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toMatch(
      /alert for churn \(rollback\) not delivered: slack: .*404: no_service/,
    );
    const { rows } = await tdb.db.query(
      `SELECT d.sink, d.status, d.attempts, d.last_error FROM alert_deliveries d JOIN alert_events e ON e.id = d.event_id
       JOIN alerts a ON a.id = e.alert_id WHERE a.kind = 'rollback' ORDER BY d.sink`,
    );
    expect(rows.map((r) => [r.sink, r.status, r.attempts])).toEqual([
      ['pagerduty', 'delivered', 1],
      ['slack', 'failed', 1],
      ['webhook', 'delivered', 1],
    ]);
    expect(rows[1].last_error).toContain('no_service');
  });
});
