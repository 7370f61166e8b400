/**
 * No database lock, transaction or pool connection is held while a sink answers: a webhook keeps
 * its answer pending while the test uses the whole pool (shared with monitoring) and reads
 * pg_locks, and a second attempt of the same delivery during the call does not send it twice.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertActivities } from '../../activities/alerts';
import { loadConfig } from '../../config/index';
import { createLogger } from '../../config/logger';
import { listDeliveries } from '../../store/alerts';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { registerModel } from './fixtures';

let tdb: TestDatabase;
let activities: ReturnType<typeof createAlertActivities>;
const waiting: ServerResponse[] = [];
let received = 0;
let server: ReturnType<typeof createServer>;

beforeAll(async () => {
  tdb = await createTestDatabase();
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      waiting.push(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const config = { ...loadConfig({ DATABASE_URL: tdb.url }), webhookUrl: `http://127.0.0.1:${port}/hook` };
  activities = createAlertActivities({ db: tdb.db, config, logger: createLogger('silent') });
  await registerModel(tdb.db, 'slowsink');
});

afterAll(async () => {
  for (const res of waiting) res.end();
  await new Promise((r) => server.close(r));
  await tdb?.drop();
});

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('sending an alert', () => {
  it('holds no lock or transaction while the sink answers, and sends once', async () => {
    const notice = await activities.openIncident({ model: 'slowsink', kind: 'drift', eventKey: 'lockless/1' });
    expect(notice.deliver).toEqual(['webhook']);
    const sending = activities.deliverAlertEvent(notice.eventId!, 'webhook');
    await until(() => received === 1, 'the webhook to receive the alert');

    // The sink has not answered: nobody on this database sits in a transaction, and the delivery
    // row can be locked at once by anyone else (a row lock held by the sender would refuse NOWAIT).
    const idle = await tdb.db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    expect(idle.rows[0].n).toBe(0);
    const c = await tdb.db.connect();
    try {
      await c.query('BEGIN');
      const row = await c.query(
        `SELECT d.id FROM alert_deliveries d WHERE d.event_id = $1 AND d.sink = 'webhook' FOR UPDATE NOWAIT`,
        [notice.eventId],
      );
      expect(row.rowCount).toBe(1);
      await c.query('ROLLBACK');
    } finally {
      c.release();
    }

    // Monitoring keeps the whole pool: as many concurrent queries as the pool holds each get a
    // connection of their own (one held by the sender would leave one fewer), and all complete.
    const poolSize = (tdb.db as unknown as { options: { max: number } }).options.max;
    expect(poolSize).toBeGreaterThanOrEqual(10);
    const concurrent = await Promise.all(
      Array.from({ length: poolSize + 2 }, () =>
        tdb.db.query(`SELECT pg_backend_pid() AS pid, count(*)::int AS n FROM alert_deliveries, pg_sleep(0.05)`),
      ),
    );
    expect(concurrent.every((r) => r.rows[0].n === 1)).toBe(true);
    expect(new Set(concurrent.map((r) => r.rows[0].pid)).size).toBe(poolSize);
    // No other connection to this database holds any lock while the sink is still answering.
    const locks = await tdb.db.query(
      `SELECT l.locktype, l.mode, l.relation::regclass::text AS relation, l.pid FROM pg_locks l
       JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE a.datname = current_database() AND l.pid <> pg_backend_pid()`,
    );
    expect(locks.rows).toEqual([]);
    expect(received).toBe(1);

    // A second attempt while the first is sending does not send again.
    const second = await activities.deliverAlertEvent(notice.eventId!, 'webhook').catch((e: unknown) => e);
    expect(second).toBeInstanceOf(ApplicationFailure);
    expect((second as ApplicationFailure).type).toBe('DeliveryInProgress');
    expect(received).toBe(1);

    waiting.shift()!.writeHead(200).end('ok');
    expect(await sending).toMatchObject({ status: 'delivered', sent: true, attempts: 1 });
    // And once delivered, a retry reports it without sending.
    expect(await activities.deliverAlertEvent(notice.eventId!, 'webhook')).toMatchObject({
      status: 'delivered',
      sent: false,
    });
    expect(received).toBe(1);
    const [delivery] = await listDeliveries(tdb.db, 'slowsink');
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1 });
  });
});
