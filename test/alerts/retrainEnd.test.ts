/**
 * How a retrain's end reaches on-call, through the real dev server, PostgreSQL, a real worker, the
 * real prediction server and a local webhook: a promoted version that does worse live is rolled back
 * and on-call hears it once (to which version, why), with the incidents in the right state; a retrain
 * terminated from outside ends the hold on the pages it kept back, which then go out with the reason.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../config/logger';
import { retrainStatus, runMonitorRound, type ControlContext } from '../../control/index';
import { listDeliveries } from '../../store/alerts';
import { startServer, type PredictionServer } from '../../serving/index';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startReceiver, type Receiver } from '../../testing/receiver';
import { connectTemporal, type TemporalTestContext } from '../support/temporal';
import { logLabeledTraffic, registerModel, serve, serveLabeled, traffic, until } from '../../testing/loopFixture';

interface WebhookEvent {
  eventId: number;
  type: string;
  incident: { model: string; kind: string; summary: string; nextText: string; facts: Record<string, unknown> };
}

const ROLLED = 'flipflop';
const CUT = 'cutoff';
let tdb: TestDatabase;
let temporal: TemporalTestContext;
let server: PredictionServer;
let webhook: Receiver;
let ctx: ControlContext;

beforeAll(async () => {
  tdb = await createTestDatabase();
  temporal = await connectTemporal(tdb.db, tdb.url);
  webhook = await startReceiver();
  const config = { ...temporal.config, webhookUrl: `${webhook.url}/hook` };
  await temporal.startWorker({ config });
  await Promise.all([
    registerModel(tdb.db, { name: ROLLED, retrain: { observeMinutes: 0.25, includeReference: false } }),
    registerModel(tdb.db, { name: CUT, retrain: { includeReference: false } }),
  ]);
  server = await startServer({
    config,
    db: tdb.db,
    logger: createLogger('warn'),
    port: 0,
    databaseUrl: tdb.url,
    logFlushIntervalMs: 20,
    defaultMetrics: false,
  });
  ctx = { client: temporal.env.client, db: tdb.db, taskQueue: temporal.taskQueue };
}, 120_000);

afterAll(async () => {
  await server?.close();
  await temporal?.teardown();
  await webhook?.close();
  await tdb?.drop();
});

function events(model: string, type?: string, kind?: string): WebhookEvent[] {
  return webhook
    .accepted('/hook')
    .map((r) => r.json as WebhookEvent)
    .filter((e) => e.incident.model === model && (!type || e.type === type) && (!kind || e.incident.kind === kind));
}

async function raise(input: Record<string, unknown>) {
  return temporal.env.client.workflow.execute('raiseAlert', {
    taskQueue: temporal.taskQueue,
    workflowId: `end-${input.model}-${input.kind}-${randomUUID().slice(0, 8)}`,
    args: [input],
  });
}

/** Waits until no delivery of the model is still on its way, so counts of what arrived are final. */
async function deliveriesSettled(model: string): Promise<void> {
  await until(
    async () => (await listDeliveries(tdb.db, model)).every((d) => d.status !== 'pending'),
    `every alert delivery of ${model} to settle`,
    60_000,
  );
}

describe('the end of a retrain, as on-call hears it', () => {
  it(
    'a promoted version that does worse live is rolled back: one notice says so, to which version and why',
    { timeout: 300_000 },
    async () => {
      await serveLabeled(tdb.db, server.url, ROLLED, traffic(1_200, 'shifted', 31));
      await raise({ action: 'open', model: ROLLED, kind: 'drift' });
      expect(events(ROLLED, 'incident.triggered', 'drift')).toHaveLength(1);

      const retrain = await temporal.env.client.workflow.start('retrainAndDeploy', {
        taskQueue: temporal.taskQueue,
        workflowId: `retrain-${ROLLED}`,
        args: [{ model: ROLLED, trigger: 'drift' }],
      });
      // Once version 2 serves, the traffic returns to the reference distribution, where version 1 was right.
      await until(
        async () => {
          const { rows } = await tdb.db.query(`SELECT step FROM retrain_runs WHERE model = $1`, [ROLLED]);
          return rows[0]?.step === 'observe';
        },
        `the retrain of ${ROLLED} to observe version 2`,
        120_000,
      );
      await until(
        async () => (await serve(server.url, ROLLED, traffic(1, 'reference', 98))).versions[0] === 2,
        'serving version 2',
      );
      await serveLabeled(tdb.db, server.url, ROLLED, traffic(400, 'reference', 32));

      const result = (await retrain.result()) as { outcome: string; production: number; reason: string };
      expect(result).toMatchObject({ outcome: 'rolled_back', production: 1 });
      expect(result.reason).toMatch(/^after promotion: /);

      await until(async () => events(ROLLED, 'retrain.outcome').length >= 1, 'the rolled-back notice', 60_000);
      await deliveriesSettled(ROLLED);
      const notices = events(ROLLED, 'retrain.outcome');
      expect(notices).toHaveLength(1);
      const [notice] = notices;
      // On the incident that started the retrain; it says what happened, to which version, and why.
      expect(notice.incident.kind).toBe('drift');
      expect(notice.incident.summary).toBe(`${ROLLED}: version 2 rolled back to 1: ${result.reason}`);
      expect(notice.incident.facts).toMatchObject({ outcome: 'rolled_back', challenger: 2, champion: 1 });
      expect(notice.incident.nextText).toBe(
        'driftloop rolled back to the previous production version; investigate why the new version did worse. ' +
          'The incident stays open until monitoring finds the model healthy.',
      );

      // The rollback is its own incident, paged once and left open; the drift incident stays open too.
      const rollbackPages = events(ROLLED, 'incident.triggered', 'rollback');
      expect(rollbackPages).toHaveLength(1);
      expect(rollbackPages[0].incident.summary).toMatch(new RegExp(`^${ROLLED}: version 2 rolled back to 1: `));
      expect(events(ROLLED, 'incident.triggered', 'drift')).toHaveLength(1);
      expect(events(ROLLED, 'incident.resolved')).toHaveLength(0);
      const incidents = await tdb.db.query(`SELECT kind, status FROM alerts WHERE model = $1 ORDER BY kind`, [ROLLED]);
      expect(incidents.rows).toEqual([
        { kind: 'drift', status: 'firing' },
        { kind: 'rollback', status: 'firing' },
      ]);
      const runs = await tdb.db.query(
        `SELECT status, reason, finished_at IS NOT NULL AS finished FROM retrain_runs WHERE model = $1`,
        [ROLLED],
      );
      expect(runs.rows).toEqual([{ status: 'rolled_back', reason: result.reason, finished: true }]);
      // The ledger agrees with what arrived: one notice, delivered once.
      const ledger = await listDeliveries(tdb.db, ROLLED);
      expect(ledger.filter((d) => d.action === 'notice').map((d) => [d.kind, d.sink, d.status])).toEqual([
        ['drift', 'webhook', 'delivered'],
      ]);
    },
  );

  it(
    'a retrain terminated from outside ends the hold: the next round sends the held page with the reason, once',
    { timeout: 300_000 },
    async () => {
      // Labeled traffic three hours old: a retrain learns from it, a monitoring round (60-minute window) does not see it.
      const old = Date.now() - 3 * 3_600_000;
      await logLabeledTraffic(tdb.db, CUT, traffic(3_000, 'shifted', 43), (i) => old + i);
      await raise({ action: 'open', model: CUT, kind: 'drift' });
      expect(events(CUT, 'incident.triggered', 'drift')).toHaveLength(1);

      const retrain = await temporal.env.client.workflow.start('retrainAndDeploy', {
        taskQueue: temporal.taskQueue,
        workflowId: `retrain-${CUT}`,
        args: [{ model: CUT, trigger: 'drift', requireApproval: true }],
      });
      await until(
        async () => (await retrainStatus(ctx, CUT))?.awaitingApproval === true,
        `the retrain of ${CUT} to await approval`,
        120_000,
      );
      const held = await raise({ action: 'open', model: CUT, kind: 'performance' });
      expect(held).toMatchObject({ action: 'opened', deliver: [], held: ['webhook'] });

      // Terminated on the dev server as an operator would: the workflow never records its end itself.
      await retrain.terminate('stuck during the freeze');
      expect((await retrain.describe()).status.name).toBe('TERMINATED');
      const still = await tdb.db.query(`SELECT status FROM retrain_runs WHERE model = $1`, [CUT]);
      expect(still.rows).toEqual([{ status: 'awaiting_approval' }]);

      const round = (await runMonitorRound(ctx, CUT, `monitor-${CUT}-after-terminate`)) as { endedRetrains: string[] };
      expect(round.endedRetrains).toEqual([`retrain-${CUT}`]);
      await until(async () => events(CUT, 'incident.triggered', 'performance').length === 1, 'the held page', 60_000);
      const reason = new RegExp(
        `retrain workflow retrain-${CUT} was terminated at \\S+ by \\S.*: stuck during the freeze without recording an outcome`,
      );
      const [page] = events(CUT, 'incident.triggered', 'performance');
      expect(page.incident.nextText).toMatch(
        /^This page was held while a retrain ran, and that retrain ended without an outcome: /,
      );
      expect(page.incident.nextText).toMatch(reason);
      await until(async () => events(CUT, 'retrain.outcome').length === 1, 'the failed notice', 60_000);
      const [notice] = events(CUT, 'retrain.outcome');
      expect(notice.incident.kind).toBe('drift');
      expect(notice.incident.summary).toMatch(new RegExp(`^${CUT}: retrain failed: `));
      expect(notice.incident.summary).toMatch(reason);
      expect(notice.incident.facts).toMatchObject({ outcome: 'failed', challenger: 2, champion: 1 });
      const runs = await tdb.db.query(
        `SELECT status, reason, finished_at IS NOT NULL AS finished FROM retrain_runs WHERE model = $1`,
        [CUT],
      );
      expect(runs.rows).toHaveLength(1);
      expect(runs.rows[0]).toMatchObject({ status: 'failed', finished: true });
      expect(runs.rows[0].reason).toMatch(reason);

      // The hold is over: a new page goes out at once; a later round finds nothing more to announce.
      const next = await raise({ action: 'open', model: CUT, kind: 'data_quality' });
      expect(next).toMatchObject({ action: 'opened', deliver: ['webhook'], held: [] });
      const again = (await runMonitorRound(ctx, CUT, `monitor-${CUT}-later`)) as { endedRetrains: string[] };
      expect(again.endedRetrains).toEqual([]);
      await deliveriesSettled(CUT);
      expect(events(CUT, 'incident.triggered', 'performance')).toHaveLength(1);
      expect(events(CUT, 'retrain.outcome')).toHaveLength(1);
      const performance = (await listDeliveries(tdb.db, CUT)).filter(
        (d) => d.kind === 'performance' && d.action === 'trigger',
      );
      expect(performance.map((d) => d.status).sort()).toEqual(['delivered', 'held']);
    },
  );
});
