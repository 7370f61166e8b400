/**
 * A dev server that loses a port race while starting (its UI port taken between the check and the bind, or its
 * frontend port taken after the caller found it free: two demos starting at once did both) starts again on a fresh
 * port pair when its caller chose the ports; otherwise it fails.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freeDevServerPort, ownServerAnswers, startTemporalDevServer } from '../../cli/dev/temporal';

const blockers: Server[] = [];
afterAll(() => blockers.forEach((b) => b.close()));

/** A free port pair (p, p + 1000) with one of the two then taken. */
async function taken(which: 'ui' | 'frontend'): Promise<number> {
  const port = await freeDevServerPort();
  const blocker = createServer();
  await new Promise<void>((resolve) =>
    blocker.listen(which === 'ui' ? port + 1000 : port, '127.0.0.1', () => resolve()),
  );
  blockers.push(blocker);
  return port;
}

describe('Temporal dev server start', () => {
  it('starts again elsewhere when allowed, saying why', async () => {
    const port = await taken('ui');
    const logs: string[] = [];
    const server = await startTemporalDevServer({ port, retriesOnOtherPorts: 2, log: (m) => logs.push(m) });
    try {
      expect(server.address).not.toBe(`127.0.0.1:${port}`);
      expect(logs.join('\n')).toMatch(new RegExp(`address already in use; trying again on port \\d+`));
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('starts elsewhere when the frontend port was taken after it was found free, if allowed', async () => {
    const port = await taken('frontend');
    const logs: string[] = [];
    const server = await startTemporalDevServer({ port, retriesOnOtherPorts: 2, log: (m) => logs.push(m) });
    try {
      expect(server.address).not.toBe(`127.0.0.1:${port}`);
      expect(logs.join('\n')).toMatch(new RegExp(`port ${port} is already in use.*; trying again on port \\d+`));
    } finally {
      await server.stop();
    }
    await expect(startTemporalDevServer({ port })).rejects.toThrow(
      new RegExp(`port ${port} is already in use: set DRIFTLOOP_TEMPORAL_PORT`),
    );
  }, 120_000);

  it('fails with the server own words when the caller fixed the port', async () => {
    const port = await taken('ui');
    await expect(startTemporalDevServer({ port })).rejects.toThrow(/exited with 1: .*address already in use/);
  }, 120_000);

  it('tells its own server from one that took the port first, by a namespace only its own was given', async () => {
    // The suite's dev server stands in for a server that took the port first: it answers, without our namespace.
    const address = inject('temporalAddress');
    const alive = spawn('sleep', ['60']);
    try {
      await expect(ownServerAnswers(address, 'driftloop-start-not-ours', alive, 2_000)).rejects.toThrow(
        /answers, but not as the dev server started here/,
      );
      // Ours: the namespace is there ("default" stands in for the marker).
      await expect(ownServerAnswers(address, 'default', alive, 2_000)).resolves.toBeUndefined();
    } finally {
      alive.kill('SIGKILL');
    }
    // Our server gone (it lost the bind): it rejects at once, not after the 10-minute bound (past this test's timeout).
    const gone = spawn('true');
    await new Promise((r) => gone.once('exit', r));
    await expect(ownServerAnswers(address, 'driftloop-start-not-ours', gone, 600_000)).rejects.toThrow();
  }, 120_000);
});
