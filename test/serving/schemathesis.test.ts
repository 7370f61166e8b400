/**
 * The published OpenAPI document (GET /openapi.json, from the route schemas) fuzzed by the real schemathesis
 * against a live `driftloop serve`: bounded in examples and time, every generated request must get an answer
 * below 500. Model names come from a dictionary (the two served models, one unknown) part of the time, so the
 * fuzzed bodies reach scoring and not only the 404 for an unknown model.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { clientsPython, exportIrisModel, registerModels, startServe, type LiveServer } from './clients/liveServer';

let tdb: TestDatabase;
let server: LiveServer;

beforeAll(async () => {
  const iris = exportIrisModel();
  tdb = await createTestDatabase();
  await registerModels(tdb.db, iris);
  server = await startServe(tdb.url);
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await tdb?.drop();
});

/** Runs schemathesis in `cwd` (it keeps its example cache there, never in the repository). */
function schemathesis(
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  const bin = join(clientsPython, '..', 'schemathesis');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`schemathesis did not finish in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('OpenAPI + schemathesis', () => {
  it('publishes every route in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v2',
        '/v2/health/live',
        '/v2/health/ready',
        '/v2/models/{name}',
        '/v2/models/{name}/ready',
        '/v2/models/{name}/versions/{version}',
        '/v2/models/{name}/versions/{version}/ready',
        '/v2/models/{name}/infer',
        '/v2/models/{name}/versions/{version}/infer',
        '/v1/models/{name}/predict',
        '/v1/models/{name}/labels',
      ]),
    );
    expect(doc.paths['/v2/models/{name}/infer'].post).toMatchObject({
      requestBody: { content: { 'application/json': { schema: { required: ['inputs'] } } } },
    });
  });

  it('answers every generated request below 500', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftloop-schemathesis-'));
    const config = join(dir, 'schemathesis.toml');
    writeFileSync(
      config,
      [
        '[dictionaries.models]',
        'values = ["iris", "loans", "no-such-model"]',
        '[dictionaries.versions]',
        'values = ["1", "2"]',
        '[parameters]',
        '"path.name" = { dictionary = "models", probability = 0.8 }',
        '"path.version" = { dictionary = "versions", probability = 0.8 }',
        '',
      ].join('\n'),
    );
    const { code, output } = await schemathesis(
      [
        '--config-file',
        config,
        'run',
        `${server.url}/openapi.json`,
        '--checks',
        'not_a_server_error',
        '--max-examples',
        '25',
        '--max-time',
        '60',
        '--workers',
        '1',
        '--seed',
        '20261202',
        '--report-dir',
        dir,
      ],
      dir,
      240_000,
    );
    expect(output, output).not.toMatch(/Server error/);
    expect(code, output).toBe(0);
    const generated = Number(/(\d+) generated/.exec(output)?.[1] ?? 0);
    // A floor, not a speed: --max-time bounds the run, so a busy machine generates fewer (160 seen under load).
    expect(generated, output).toBeGreaterThan(50);
    // The server is still up and scoring.
    expect((await fetch(`${server.url}/v2/models/iris/ready`)).status).toBe(200);
  }, 300_000);
});
