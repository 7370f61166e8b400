/**
 * What both demos set up the same way: their own data folder, free ports where the defaults are
 * taken, a local on-call webhook with a fresh secret, and the stack (embedded PostgreSQL, the
 * Temporal dev server with UI, a worker) with a Temporal client to control the loop.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { DriftloopConfig } from '../../config/index';
import type { Logger } from '../../config/logger';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature, type WebhookBody } from '../../alerts/webhook';
import { freeDevServerPort, freePort, isPortOpen } from '../dev/temporal';
import { startStack, type Stack } from '../stack';

export type AlertReceiver = Awaited<ReturnType<typeof startAlertReceiver>>;

/** A local webhook sink: what on-call would receive, verified against the HMAC signature. */
export async function startAlertReceiver(secret: string) {
  const received: Array<{ at: Date; body: WebhookBody | null; signed: boolean }> = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      let body: WebhookBody | null = null;
      try {
        body = JSON.parse(raw) as WebhookBody;
      } catch {
        /* recorded as unreadable */
      }
      const signed = verifyWebhookSignature(
        secret,
        {
          signature: req.headers[SIGNATURE_HEADER] as string | undefined,
          timestamp: req.headers[TIMESTAMP_HEADER] as string | undefined,
        },
        raw,
      );
      received.push({ at: new Date(), body, signed });
      res.writeHead(200).end('ok');
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface DemoSession {
  config: DriftloopConfig;
  receiver: AlertReceiver;
  started: number;
  /** "+ 12.3s": time since the demo started, for the narration. */
  elapsed(at?: number | Date): string;
  /** Starts the stack once; stop() stops it and the receiver. */
  startStack(logger: Logger): Promise<{ stack: Stack; ctx: DemoControl }>;
  stop(): Promise<void>;
}

export interface DemoControl {
  client: Awaited<ReturnType<typeof temporalClient>>;
  db: Stack['db'];
  taskQueue: string;
}

export async function prepareDemo(
  baseConfig: DriftloopConfig,
  options: {
    /** Under baseConfig.dataDir; emptied first unless DATABASE_URL points elsewhere. */
    folder: string;
    /** 'default': the configured worker metrics port when it is free; 'free': always a free one. */
    metricsPort: 'default' | 'free';
  },
): Promise<DemoSession> {
  const started = Date.now();
  const dataDir = resolve(join(baseConfig.dataDir, options.folder));
  if (!baseConfig.databaseUrl) rmSync(dataDir, { recursive: true, force: true });
  const temporalPort =
    (await isPortOpen(baseConfig.temporalPort)) || (await isPortOpen(baseConfig.temporalPort + 1000))
      ? await freeDevServerPort()
      : baseConfig.temporalPort;
  const secret = randomBytes(16).toString('hex');
  const receiver = await startAlertReceiver(secret);
  const config: DriftloopConfig = {
    ...baseConfig,
    dataDir,
    temporalPort,
    embeddedPostgresPort: await freePort(),
    workerMetricsPort:
      options.metricsPort === 'free' || (await isPortOpen(baseConfig.workerMetricsPort))
        ? await freePort()
        : baseConfig.workerMetricsPort,
    webhookUrl: receiver.url,
    webhookSecret: secret,
  };
  let stack: Stack | undefined;
  return {
    config,
    receiver,
    started,
    elapsed: (at: number | Date = Date.now()) =>
      `+${(((typeof at === 'number' ? at : at.getTime()) - started) / 1000).toFixed(1).padStart(5)}s`,
    async startStack(logger) {
      stack = await startStack({ config, logger, ui: true, persistTemporal: false, anyTemporalPort: true });
      return { stack, ctx: { client: await temporalClient(stack), db: stack.db, taskQueue: config.taskQueue } };
    },
    async stop() {
      await stack?.stop();
      await receiver.close();
    },
  };
}

export async function temporalClient(stack: Stack) {
  const { Client, Connection } = await import('@temporalio/client');
  const connection = await Connection.connect({ address: stack.temporalAddress });
  return new Client({ connection, namespace: stack.config.temporalNamespace });
}
