/** `driftloop demo --scenario delivery --json`: batch and stream features through a traffic surge, and the loop's reaction. */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';

const dataDir = mkdtempSync(join(tmpdir(), 'driftloop-delivery-'));
// As root, embedded PostgreSQL runs as the `postgres` user, which must be able to enter the folder.
chmodSync(dataDir, 0o755);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('driftloop demo --scenario delivery', () => {
  it('the surge shifts the stream features, the monitor flags them, and a retrained version serves better', async () => {
    const r = await runCli(['demo', '--scenario', 'delivery', '--json'], { DRIFTLOOP_DATA_DIR: dataDir }, 330_000);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    console.log(r.stderr);
    const summary = JSON.parse(r.stdout);
    const t = (iso: string | null) => (iso ? Date.parse(iso) : NaN);
    expect(summary.recovered).toBe(true);
    expect(summary.failedRequests).toBe(0);
    expect(t(summary.detection)).toBeGreaterThanOrEqual(t(summary.surge));
    // Stream features only: the request and batch features do not move in the surge.
    expect(summary.detectedFeatures.length).toBeGreaterThan(0);
    for (const f of summary.detectedFeatures) expect(['orders_10m', 'couriers_online']).toContain(f);
    expect(t(summary.newVersionServing)).toBeGreaterThan(t(summary.detection));
    // v1 never learned congestion; the version trained point-in-time on surge deliveries did.
    expect(summary.maeAfter).toBeLessThan(summary.maeBefore * 0.6);
    const production = summary.versions.filter((v: { stage: string }) => v.stage === 'production');
    expect(production).toHaveLength(1);
    expect(production[0].version).toBeGreaterThan(1);
    expect(r.stderr).toContain('TRAFFIC SURGE');
  }, 340_000);
});
