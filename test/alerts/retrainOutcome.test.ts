/**
 * What on-call hears while a retrain runs and when it ends, through a real retrain workflow and a
 * real worker: a page raised meanwhile is held, then delivered once when the retrain ends; each
 * retrain sends one outcome notice (rejected with its reason, deployed); a resolve says a true "Next:".
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveRetrain, rejectRetrain, type ControlContext } from '../../control/index';
import { listDeliveries } from '../../store/alerts';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startReceiver, type Receiver } from '../../testing/receiver';
import { connectTemporal, type TemporalTestContext } from '../support/temporal';
import { logLabeledTraffic, registerModel, traffic, until } from '../../testing/loopFixture';

interface WebhookEvent {
  eventId: number;
  type: string;
  incident: { kind: string; summary: string; nextText: string; facts: Record<string, unknown> };
}

const MODEL = 'heldpages';
let tdb: TestDatabase;
let temporal: TemporalTestContext;
let webhook: Receiver;
let ctx: ControlContext;

beforeAll(async () => {
  tdb = await createTestDatabase();
  temporal = await connectTemporal(tdb.db, tdb.url);
  webhook = await startReceiver();
  await temporal.startWorker({ config: { ...temporal.config, webhookUrl: `${webhook.url}/hook` } });
  ctx = { client: temporal.env.client, db: tdb.db, taskQueue: temporal.taskQueue };
  await registerModel(tdb.db, { name: MODEL, retrain: { includeReference: false } });
  // Shifted, labeled traffic logged the way the server logs it: what a retrain learns from.
  const t = traffic(3_000, 'shifted', 7);
  const now = Date.now();
  await logLabeledTraffic(tdb.db, MODEL, t, (i) => now - 60_000 + i);
}, 120_000);

afterAll(async () => {
  await temporal?.teardown();
  await webhook?.close();
  await tdb?.drop();
});

function events(type?: string, kind?: string): WebhookEvent[] {
  return webhook
    .accepted()
    .map((r) => r.json as WebhookEvent)
    .filter((e) => (!type || e.type === type) && (!kind || e.incident.kind === kind));
}

async function raise(input: Record<string, unknown>) {
  return temporal.env.client.workflow.execute('raiseAlert', {
    taskQueue: temporal.taskQueue,
    workflowId: `held-${input.kind}-${input.action}-${randomUUID().slice(0, 8)}`,
    args: [input],
  });
}

/** Starts a drift-triggered retrain that stops for approval, and waits until it does. */
async function retrainAwaitingApproval(): Promise<void> {
  await temporal.env.client.workflow.start('retrainAndDeploy', {
    taskQueue: temporal.taskQueue,
    workflowId: `retrain-${MODEL}`,
    args: [{ model: MODEL, trigger: 'drift', requireApproval: true }],
  });
  await until(
    async () => {
      const status = await temporal.env.client.workflow.getHandle(`retrain-${MODEL}`).query('status');
      return (status as { awaitingApproval: boolean }).awaitingApproval;
    },
    'the retrain to await approval',
    120_000,
  );
}

describe('pages and notices around a retrain', () => {
  it(
    'holds a page during a retrain, delivers it once when the retrain ends, and sends one notice per outcome',
    { timeout: 300_000 },
    async () => {
      await raise({ action: 'open', model: MODEL, kind: 'drift' });
      expect(events('incident.triggered', 'drift')).toHaveLength(1);

      await retrainAwaitingApproval();
      const held = await raise({ action: 'open', model: MODEL, kind: 'performance' });
      expect(held).toMatchObject({ action: 'opened', deliver: [], held: ['webhook'] });
      expect(events('incident.triggered', 'performance')).toHaveLength(0);

      await rejectRetrain(ctx, MODEL, { by: 'oncall', reason: 'not during the freeze' });
      await until(async () => events('incident.triggered', 'performance').length === 1, 'the held page', 60_000);
      await until(async () => events('retrain.outcome').length === 1, 'the rejected notice', 60_000);
      const [rejected] = events('retrain.outcome');
      expect(rejected.incident.summary).toMatch(
        new RegExp(
          `^${MODEL}: retrain rejected version 2; version 1 keeps serving: rejected by oncall: not during the freeze$`,
        ),
      );
      expect(rejected.incident.facts).toMatchObject({ outcome: 'rejected', challenger: 2, champion: 1 });

      // A second retrain, approved: deployed. The first run ends just after its notice: wait for it, since the
      // second takes the same workflow id (one retrain per model at a time).
      await temporal.env.client.workflow.getHandle(`retrain-${MODEL}`).result();
      await retrainAwaitingApproval();
      await approveRetrain(ctx, MODEL, { by: 'oncall' });
      await until(async () => events('retrain.outcome').length === 2, 'the deployed notice', 120_000);
      const deployed = events('retrain.outcome')[1];
      expect(deployed.incident.summary).toMatch(new RegExp(`^${MODEL}: retrain deployed version 3 \\(was 1\\): `));
      expect(deployed.incident.nextText).toMatch(/^No action is needed: the new version serves production\./);

      // With no retrain in flight, the resolve's "Next:" promises nothing more.
      await raise({ action: 'resolve', model: MODEL, kind: 'drift', reason: 'test: healthy' });
      const [resolvedDrift] = events('incident.resolved', 'drift');
      expect(resolvedDrift.incident.nextText).toBe('No action is needed.');

      // Once each: the held page, each notice; the ledger agrees with what arrived.
      expect(events('incident.triggered', 'performance')).toHaveLength(1);
      expect(events('retrain.outcome')).toHaveLength(2);
      const ledger = await listDeliveries(tdb.db, MODEL);
      const performance = ledger.filter((d) => d.kind === 'performance' && d.action === 'trigger');
      expect(performance.map((d) => d.status).sort()).toEqual(['delivered', 'held']);
      expect(ledger.filter((d) => d.action === 'notice').map((d) => d.status)).toEqual(['delivered', 'delivered']);
    },
  );
});
