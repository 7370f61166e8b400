/** Connections the commands share: config, PostgreSQL pool and Temporal client, each failing in one clear line. */
import type { Client } from '@temporalio/client';
import { loadConfig, type DriftloopConfig } from '../config/index';
import { createLogger, type Logger } from '../config/logger';
import { checkConnection, createPool, type Db } from '../store/db';
import { CliError, EXIT } from './errors';

export function requireDatabaseUrl(config: DriftloopConfig): string {
  if (!config.databaseUrl) {
    throw new CliError(
      'DATABASE_URL is not set: point it at PostgreSQL (postgres://user:pass@host:5432/db), or run `driftloop up`, which starts an embedded one',
      EXIT.usage,
    );
  }
  return config.databaseUrl;
}

export async function openDatabase(databaseUrl: string): Promise<Db> {
  const db = createPool(databaseUrl, { connectionTimeoutMillis: 5_000 });
  try {
    await checkConnection(db, databaseUrl);
  } catch (err) {
    await db.end().catch(() => undefined);
    throw new CliError((err as Error).message, EXIT.unavailable);
  }
  return db;
}

export function temporalAddressOf(config: DriftloopConfig): string {
  return config.temporalAddress ?? `127.0.0.1:${config.temporalPort}`;
}

/** Connects to Temporal, failing within `timeoutMs` with a line naming TEMPORAL_ADDRESS. */
export async function connectTemporalClient(config: DriftloopConfig, timeoutMs = 10_000): Promise<Client> {
  const address = temporalAddressOf(config);
  // Loaded on demand: commands that never talk to Temporal start faster.
  const { Client, Connection } = await import('@temporalio/client');
  try {
    const connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    return new Client({ connection, namespace: config.temporalNamespace });
  } catch (err) {
    throw new CliError(
      `cannot connect to Temporal at ${address} (TEMPORAL_ADDRESS): ${temporalReason(err)}; start it or run \`driftloop up\``,
      EXIT.unavailable,
    );
  }
}

export interface CommandContext {
  config: DriftloopConfig;
  logger: Logger;
}

/** `overrides` are settings from command-line flags (named --kebab-case in errors). */
export function commandContext(overrides: Partial<Record<keyof DriftloopConfig, unknown>> = {}): CommandContext {
  const config = loadConfig(process.env, overrides);
  return { config, logger: createLogger(config.logLevel) };
}

/** The reason a Temporal connection failed, in words. */
export function temporalReason(err: unknown): string {
  const message = (err as Error)?.message ?? String(err);
  if (/ConnectionRefused|Connection refused/i.test(message))
    return 'connection refused: is a Temporal server listening there?';
  if (/dns error|failed to lookup|Name or service not known/i.test(message))
    return 'host not found: check the host name';
  return message.split('\n')[0];
}
