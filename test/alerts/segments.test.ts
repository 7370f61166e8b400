/**
 * Segments from the monitoring round to the page: a shift confined to one segment of a categorical
 * column is stored per segment (drift_segments, what the dashboard reads), named in the round's
 * findings, and said in the incident's summary ("drift in segment c=b (x2)").
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertActivities } from '../../activities/alerts';
import { createMonitorActivities, type MonitorSummary } from '../../activities/monitor';
import { loadConfig } from '../../config/index';
import { createLogger } from '../../config/logger';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { logLabeledTraffic, registerModel, traffic } from '../../testing/loopFixture';

let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase();
});

afterAll(async () => {
  await tdb?.drop();
});

describe('segments in the monitoring round, the stored results and the alert', () => {
  it('stores each segment, names the drifted one in the findings and says it in the incident', async () => {
    await registerModel(tdb.db, { name: 'segmented', drift: { segments: { columns: ['c'] } } });
    // Reference traffic, except that x2 moves by 1.5 sd in segment c=b only.
    const current = traffic(3_000, 'reference', 7);
    for (const row of current.rows) if (row.c === 'b') row.x2 = (row.x2 as number) + 1.5;
    const start = Date.now() + 1_000;
    await logLabeledTraffic(tdb.db, 'segmented', current, (i) => start + i);

    const deps = {
      db: tdb.db,
      config: loadConfig({ DATABASE_URL: tdb.url }),
      logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    };
    const monitor = createMonitorActivities(deps);
    const summary = (await new MockActivityEnvironment().run(monitor.monitorWindow, {
      model: 'segmented',
      workflowId: 'monitor-segmented',
      runId: 'run-1',
      windowEnd: new Date(start + 60_000).toISOString(),
    })) as MonitorSummary;

    // The fixture logs a constant prediction, so the round's status is performance decay; the drift verdict is apart.
    expect(summary.driftStatus).toBe('drift');
    const segmentFindings = summary.findings.filter((f) => f.kind === 'segment');
    expect(segmentFindings.map((f) => `${f.segment} ${f.feature}`)).toContain('c=b x2');
    expect(segmentFindings.some((f) => f.segment === 'c=a')).toBe(false);

    const { rows } = await tdb.db.query(
      `SELECT segment_column, segment, rows, flagged_features FROM drift_segments WHERE drift_run_id = $1 ORDER BY segment`,
      [summary.driftRunId],
    );
    const rowsOf = (segment: string) => current.rows.filter((r) => r.c === segment).length;
    expect(rows).toEqual([
      { segment_column: 'c', segment: 'a', rows: rowsOf('a'), flagged_features: [] },
      { segment_column: 'c', segment: 'b', rows: rowsOf('b'), flagged_features: ['x2'] },
    ]);

    const alerts = createAlertActivities(deps);
    const notice = await alerts.openIncident({
      model: 'segmented',
      kind: 'drift',
      driftRunId: summary.driftRunId!,
      findings: summary.findings,
      eventKey: 'segmented/drift/1',
      workflowId: 'monitor-segmented',
      runId: 'run-1',
    });
    expect(notice.summary).toMatch(/; drift in segment c=b \(x2\)$/);
    const incident = await tdb.db.query(`SELECT summary, details FROM alerts WHERE id = $1`, [notice.incidentId]);
    expect(incident.rows[0].summary).toBe(notice.summary);
    expect(incident.rows[0].details.findings).toContainEqual(
      expect.objectContaining({ kind: 'segment', segment: 'c=b', feature: 'x2' }),
    );
  });
});
