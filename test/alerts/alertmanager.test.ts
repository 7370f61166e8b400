/**
 * A drift incident through a real Alertmanager: it arrives at Alertmanager's webhook receiver
 * firing with our labels and annotations, stays active when refreshed, then arrives resolved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startReceiver, type Receiver } from '../../testing/receiver';
import { connectTemporal, type TemporalTestContext } from '../support/temporal';
import { startAlertmanager, type AlertmanagerServer } from './alertmanagerServer';
import { insertDriftRun, registerModel, WINDOW } from './fixtures';

interface NotifiedAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
}
interface Notification {
  status: string;
  alerts: NotifiedAlert[];
}

let tdb: TestDatabase;
let temporal: TemporalTestContext;
let receiver: Receiver;
let alertmanager: AlertmanagerServer;
let driftRunId: number;

beforeAll(async () => {
  tdb = await createTestDatabase();
  temporal = await connectTemporal(tdb.db, tdb.url);
  receiver = await startReceiver();
  alertmanager = await startAlertmanager(`${receiver.url}/alertmanager`);
  await temporal.startWorker({ config: { ...temporal.config, alertmanagerUrl: alertmanager.url } });
  await registerModel(tdb.db, 'fraud', { severity: 'warning' });
  driftRunId = await insertDriftRun(tdb.db, 'fraud');
});

afterAll(async () => {
  await temporal?.teardown();
  await alertmanager?.stop();
  await receiver?.close();
  await tdb?.drop();
});

function notified(status: 'firing' | 'resolved'): NotifiedAlert[] {
  return receiver.requests
    .map((r) => r.json as Notification)
    .flatMap((n) => n.alerts)
    .filter((a) => a.status === status && a.labels.model === 'fraud');
}

async function activeAlerts(): Promise<
  Array<{ labels: Record<string, string>; endsAt: string; status: { state: string } }>
> {
  const res = await fetch(`${alertmanager.url}/api/v2/alerts?filter=model%3D%22fraud%22`);
  return (await res.json()) as Array<{ labels: Record<string, string>; endsAt: string; status: { state: string } }>;
}

async function raise(input: Record<string, unknown>) {
  return temporal.env.client.workflow.execute('raiseAlert', {
    taskQueue: temporal.taskQueue,
    workflowId: `am-${input.action}-${Date.now()}`,
    args: [input],
  });
}

describe('Alertmanager sink', () => {
  it('delivers a drift incident firing, with labels, drifted features and links', async () => {
    const notice = await raise({ action: 'open', model: 'fraud', kind: 'drift', driftRunId });
    expect(notice).toMatchObject({
      action: 'opened',
      deliver: ['alertmanager'],
      delivery: { delivered: ['alertmanager'] },
    });
    await receiver.waitFor(() => notified('firing').length > 0);
    const [alert] = notified('firing');
    expect(alert.labels).toEqual({
      alertname: 'DriftloopModelDrift',
      model: 'fraud',
      severity: 'warning',
      kind: 'drift',
    });
    const grafana = `http://localhost:3000/d/driftloop-model-drift?var-model=fraud&from=${WINDOW.start.getTime()}&to=${WINDOW.end.getTime()}`;
    expect(alert.annotations).toEqual({
      summary: 'fraud: input drift in 2 of 3 features (plan, tenure)',
      description: [
        'No automatic action will be taken: investigate using the dashboard linked below.',
        `drift_run_id: ${driftRunId}`,
        'drift_score: 0.42',
        'drifted_features: 2 of 3',
      ].join('\n'),
      drifted_features: 'plan: chi_square=88.5 (p=1.23e-6, threshold 0.05)\ntenure: psi=0.41 (threshold 0.2)',
      next_step: 'investigate',
      dashboard: grafana,
      workflow: expect.stringMatching(/\/namespaces\/default\/workflows\/am-open-\d+\/[0-9a-f-]{36}$/),
      incident_id: String(notice.incidentId),
    });
    // Firing with an endsAt a year ahead: an open incident never resolves by timeout, only when
    // driftloop resolves it. (The webhook shows firing alerts with a zero endsAt; the API shows ours.)
    const [active] = await activeAlerts();
    const endsAt = Date.parse(active.endsAt);
    expect(endsAt).toBeGreaterThan(Date.now() + 364 * 86_400_000);
  });

  it('re-sends the open incident to Alertmanager without paging anyone else', async () => {
    const before = (await activeAlerts())[0];
    await new Promise((r) => setTimeout(r, 1100));
    const notice = await raise({ action: 'open', model: 'fraud', kind: 'drift', driftRunId });
    expect(notice).toMatchObject({ action: 'updated', deliver: ['alertmanager'] });
    const after = await activeAlerts();
    expect(after).toHaveLength(1);
    expect(after[0].status.state).toBe('active');
    expect(Date.parse(after[0].endsAt)).toBeGreaterThan(Date.parse(before.endsAt));
    const events = await tdb.db.query(`SELECT action FROM alert_events ORDER BY id`);
    expect(events.rows.map((r) => r.action)).toEqual(['trigger', 'refresh']);
  });

  it('the refreshAlerts workflow (for a schedule) re-sends every firing incident', async () => {
    const before = (await activeAlerts())[0];
    await new Promise((r) => setTimeout(r, 1100));
    const result = await temporal.env.client.workflow.execute('refreshAlerts', {
      taskQueue: temporal.taskQueue,
      workflowId: `am-refresh-${Date.now()}`,
    });
    expect(result).toEqual({ refreshed: 1, failed: 0 });
    expect(Date.parse((await activeAlerts())[0].endsAt)).toBeGreaterThan(Date.parse(before.endsAt));
    const events = await tdb.db.query(`SELECT action FROM alert_events ORDER BY id`);
    expect(events.rows.map((r) => r.action)).toEqual(['trigger', 'refresh', 'refresh']);
  });

  it('delivers the resolve by re-sending the alert with endsAt', async () => {
    const notice = await raise({ action: 'resolve', model: 'fraud', kind: 'drift', reason: 'monitor saw no drift' });
    expect(notice).toMatchObject({ action: 'resolved', deliver: ['alertmanager'] });
    await receiver.waitFor(() => notified('resolved').length > 0);
    const [resolved] = notified('resolved');
    expect(resolved.labels).toEqual({
      alertname: 'DriftloopModelDrift',
      model: 'fraud',
      severity: 'warning',
      kind: 'drift',
    });
    const { rows } = await tdb.db.query(`SELECT resolved_at FROM alerts WHERE id = $1`, [notice.incidentId]);
    expect(Date.parse(resolved.endsAt)).toBe(rows[0].resolved_at.getTime());
    expect(resolved.annotations.description).toContain('resolved: monitor saw no drift');
    expect((await activeAlerts()).filter((a) => a.status.state === 'active')).toEqual([]);
  });
});
