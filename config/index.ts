/**
 * The one typed configuration of driftloop: environment variables over an optional YAML/JSON
 * file (DRIFTLOOP_CONFIG), validated with zod. Defaults work on one machine.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);

export const configSchema = z.object({
  /** PostgreSQL connection string; unset means `driftloop up` starts an embedded PostgreSQL. */
  databaseUrl: z
    .string()
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must start with postgres:// or postgresql://')
    .optional(),
  /** host:port of the Temporal frontend; unset means `driftloop up` starts a local dev server. */
  temporalAddress: z
    .string()
    .regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, for example 127.0.0.1:7233')
    .optional(),
  temporalNamespace: z.string().min(1).default('default'),
  taskQueue: z.string().min(1).default('driftloop'),
  /** Port of the embedded Temporal dev server; its Web UI listens on this + 1000. */
  temporalPort: port.default(7233),
  /** Port of the embedded PostgreSQL. */
  embeddedPostgresPort: port.default(5433),
  /** Where `driftloop up` keeps embedded PostgreSQL data and the Temporal dev server's SQLite file. */
  dataDir: z.string().min(1).default('.driftloop'),
  servePort: port.default(8080),
  serveHost: z.string().min(1).default('127.0.0.1'),
  /** Port of the Open Inference Protocol gRPC service beside the HTTP server; `off` serves no gRPC. */
  grpcPort: z.union([z.literal('off'), port], { error: 'must be a port number (1-65535) or off' }).default(8081),
  /** Port of the worker's Prometheus metrics (Temporal SDK and driftloop activities). */
  workerMetricsPort: port.default(9464),
  /** Bearer token required on write endpoints (labels, admin) when set. */
  apiToken: z.string().min(8, 'must be at least 8 characters').optional(),
  /** Bearer token required on inference (predict, infer, model metadata) when set; the write token works too. */
  inferenceToken: z.string().min(8, 'must be at least 8 characters').optional(),
  /** Hostile-input limits of the prediction server (README "Hostile input"). */
  serveMaxJsonDepth: z.coerce.number().int().min(4).max(1000).default(64),
  serveRequestTimeoutMs: z.coerce.number().int().min(100).default(30_000),
  serveSocketTimeoutMs: z.coerce.number().int().min(100).default(120_000),
  // Above the usual load-balancer idle timeout (60 s), as fastify's default, so an LB never reuses a closed socket.
  serveKeepAliveTimeoutMs: z.coerce.number().int().min(100).default(72_000),
  serveMaxRequestsPerSocket: z.coerce.number().int().min(0).default(10_000),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** Base URLs used to build links in alerts. */
  grafanaUrl: z.string().url().default('http://localhost:3000'),
  temporalUiUrl: z.string().url().optional(),
  alertmanagerUrl: z.string().url().optional(),
  pagerdutyRoutingKey: z.string().min(1).optional(),
  pagerdutyUrl: z.string().url().default('https://events.pagerduty.com/v2/enqueue'),
  slackWebhookUrl: z.string().url().optional(),
  webhookUrl: z.string().url().optional(),
  webhookSecret: z.string().min(1).optional(),
  /** NATS server for JetStream feature feeds. */
  natsUrl: z
    .string()
    .regex(/^nats:\/\/[^\s]+$/, 'must be nats://host:port')
    .optional(),
  /** JetStream feeds of stream features: "orders=ORDERS,couriers=COURIER_PINGS" (driftloop stream=JetStream stream). */
  featureFeeds: z
    .string()
    .regex(
      /^([a-z0-9][a-z0-9_-]*=[A-Za-z0-9_-]+)(,[a-z0-9][a-z0-9_-]*=[A-Za-z0-9_-]+)*$/,
      'must be stream=JETSTREAM[,...]',
    )
    .optional(),
  /** Durable consumer name prefix; give each server its own (each keeps its own windows). */
  /** Served rows younger than this are left out of the skew check (their events may still be in a server's buffer). */
  skewGraceSeconds: z.coerce.number().min(0).default(30),
  feedConsumer: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _')
    .default('driftloop'),
  /**
   * Temporal's own worker tuning (README "Beyond one machine"), passed to the SDK's Worker unchanged;
   * unset keeps the SDK's defaults. Activity slots bound the monitoring rounds and retrains one worker
   * runs at once; workflow-task slots and the sticky cache bound workflow work held in memory.
   */
  workerMaxConcurrentActivities: z.coerce.number().int().min(1).optional(),
  workerMaxConcurrentWorkflowTasks: z.coerce.number().int().min(2).optional(),
  workerMaxCachedWorkflows: z.coerce.number().int().min(0).optional(),
});

export type DriftloopConfig = z.infer<typeof configSchema>;

/** Environment variable for every setting. */
export const envNames: Record<keyof DriftloopConfig, string> = {
  databaseUrl: 'DATABASE_URL',
  temporalAddress: 'TEMPORAL_ADDRESS',
  temporalNamespace: 'TEMPORAL_NAMESPACE',
  taskQueue: 'DRIFTLOOP_TASK_QUEUE',
  temporalPort: 'DRIFTLOOP_TEMPORAL_PORT',
  embeddedPostgresPort: 'DRIFTLOOP_EMBEDDED_PG_PORT',
  dataDir: 'DRIFTLOOP_DATA_DIR',
  servePort: 'DRIFTLOOP_SERVE_PORT',
  serveHost: 'DRIFTLOOP_SERVE_HOST',
  grpcPort: 'DRIFTLOOP_GRPC_PORT',
  workerMetricsPort: 'DRIFTLOOP_WORKER_METRICS_PORT',
  apiToken: 'DRIFTLOOP_API_TOKEN',
  inferenceToken: 'DRIFTLOOP_INFERENCE_TOKEN',
  serveMaxJsonDepth: 'DRIFTLOOP_SERVE_MAX_JSON_DEPTH',
  serveRequestTimeoutMs: 'DRIFTLOOP_SERVE_REQUEST_TIMEOUT_MS',
  serveSocketTimeoutMs: 'DRIFTLOOP_SERVE_SOCKET_TIMEOUT_MS',
  serveKeepAliveTimeoutMs: 'DRIFTLOOP_SERVE_KEEP_ALIVE_TIMEOUT_MS',
  serveMaxRequestsPerSocket: 'DRIFTLOOP_SERVE_MAX_REQUESTS_PER_SOCKET',
  logLevel: 'LOG_LEVEL',
  grafanaUrl: 'DRIFTLOOP_GRAFANA_URL',
  temporalUiUrl: 'DRIFTLOOP_TEMPORAL_UI_URL',
  alertmanagerUrl: 'DRIFTLOOP_ALERTMANAGER_URL',
  pagerdutyRoutingKey: 'DRIFTLOOP_PAGERDUTY_ROUTING_KEY',
  pagerdutyUrl: 'DRIFTLOOP_PAGERDUTY_URL',
  slackWebhookUrl: 'DRIFTLOOP_SLACK_WEBHOOK_URL',
  webhookUrl: 'DRIFTLOOP_WEBHOOK_URL',
  webhookSecret: 'DRIFTLOOP_WEBHOOK_SECRET',
  natsUrl: 'DRIFTLOOP_NATS_URL',
  featureFeeds: 'DRIFTLOOP_FEATURE_FEEDS',
  feedConsumer: 'DRIFTLOOP_FEED_CONSUMER',
  skewGraceSeconds: 'DRIFTLOOP_SKEW_GRACE_SECONDS',
  workerMaxConcurrentActivities: 'DRIFTLOOP_WORKER_MAX_CONCURRENT_ACTIVITIES',
  workerMaxConcurrentWorkflowTasks: 'DRIFTLOOP_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS',
  workerMaxCachedWorkflows: 'DRIFTLOOP_WORKER_MAX_CACHED_WORKFLOWS',
};

/** A configuration problem a person can fix: names the setting, the bad value's source and what is accepted. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function readFileSettings(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`DRIFTLOOP_CONFIG=${path}: cannot read the file (${(err as Error).message})`);
  }
  const parsed: unknown = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(
      `DRIFTLOOP_CONFIG=${path}: must hold a mapping of settings, e.g. "databaseUrl: postgres://..."`,
    );
  }
  return parsed as Record<string, unknown>;
}

/**
 * Loads the configuration: file settings first, environment variables over them, then
 * `overrides` (from CLI flags). Throws ConfigError naming every invalid setting.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Record<keyof DriftloopConfig, unknown>> = {},
): DriftloopConfig {
  const file = env.DRIFTLOOP_CONFIG ? readFileSettings(env.DRIFTLOOP_CONFIG) : {};
  const raw: Record<string, unknown> = { ...file };
  const source: Record<string, string> = {};
  for (const key of Object.keys(file)) source[key] = `${key} in ${env.DRIFTLOOP_CONFIG}`;
  for (const [key, name] of Object.entries(envNames)) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      raw[key] = value;
      source[key] = name;
    }
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) {
      raw[key] = value;
      source[key] = `--${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;
    }
  }
  const unknownKeys = Object.keys(file).filter((k) => !(k in envNames));
  if (unknownKeys.length > 0) {
    throw new ConfigError(
      `${env.DRIFTLOOP_CONFIG}: unknown setting(s) ${unknownKeys.join(', ')}; known settings are ${Object.keys(envNames).join(', ')}`,
    );
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const key = String(issue.path[0]);
      const where = source[key] ?? envNames[key as keyof DriftloopConfig] ?? key;
      return `${where}=${JSON.stringify(raw[key])}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  return result.data;
}

/** The Temporal Web UI base URL for a frontend address when the UI is the dev server's (port + 1000). */
export function temporalUiUrlFor(config: DriftloopConfig): string {
  if (config.temporalUiUrl) return config.temporalUiUrl;
  const address = config.temporalAddress ?? `127.0.0.1:${config.temporalPort}`;
  const [host, p] = address.split(':');
  return `http://${host}:${Number(p) + 1000}`;
}
