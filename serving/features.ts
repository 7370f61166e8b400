/**
 * The prediction server's batch and stream features: the feature runtime (features/serving.ts),
 * the bounded COPY log that takes accepted events to `feature_events` (like the prediction log),
 * and the JetStream feeds named in the configuration. Models without such features never touch it.
 */
import type { DriftloopConfig } from '../config/index';
import type { Logger } from '../config/logger';
import type { SourcedFeature } from '../features/definition';
import { EventInputError } from '../features/events';
import { JetStreamFeed } from '../features/jetstream';
import { FeatureRuntime } from '../features/serving';
import type { Db } from '../store/db';
import { copyFeatureEvents, type FeatureEventRow } from '../store/featureEvents';
import { listModels } from '../store/models';
import type { FeatureRow } from '../onnx/model';
import { CopyBuffer } from './copyBuffer';
import { InputError } from './featureInput';
import type { ServingMetrics } from './metrics';

export interface FeedSpec {
  /** The driftloop stream. */
  stream: string;
  /** The JetStream stream consumed for it. */
  jetstream: string;
  /** Durable consumer name (default `<config.feedConsumer>-<stream>`). */
  durable?: string;
}

export interface ServingFeatures {
  runtime: FeatureRuntime;
  eventLog: CopyBuffer<FeatureEventRow>;
  feeds: JetStreamFeed[];
  /** Re-reads the registered models' definitions (a new model may read a new stream). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface StartFeaturesOptions {
  config: DriftloopConfig;
  db: Db;
  databaseUrl: string;
  logger: Logger;
  metrics: ServingMetrics;
  /** Feeds to start; default: config.featureFeeds. */
  feeds?: FeedSpec[];
  logBufferRows?: number;
}

/** "orders=ORDERS,couriers=COURIER_PINGS" → feeds. */
export function parseFeeds(text: string | undefined): FeedSpec[] {
  if (!text) return [];
  return text
    .split(',')
    .filter(Boolean)
    .map((pair) => {
      const [stream, jetstream] = pair.split('=');
      return { stream: stream.trim(), jetstream: (jetstream ?? '').trim() };
    });
}

export async function startFeatures(o: StartFeaturesOptions): Promise<ServingFeatures> {
  const eventLog = new CopyBuffer<FeatureEventRow>({
    table: 'feature_events',
    databaseUrl: o.databaseUrl,
    write: async (client, rows) => void (await copyFeatureEvents(client, rows)),
    logger: o.logger,
    metrics: o.metrics,
    maxBufferRows: o.logBufferRows,
    streams: 1,
  });
  const runtime = new FeatureRuntime({
    db: o.db,
    logger: o.logger,
    eventLog,
    maxQueuedEvents: o.logBufferRows,
  });
  const sync = async () => runtime.sync((await listModels(o.db)).map((m) => ({ name: m.name, features: m.features })));
  await sync();
  const feeds: JetStreamFeed[] = [];
  const specs = o.feeds ?? parseFeeds(o.config.featureFeeds);
  try {
    for (const spec of specs) {
      if (!o.config.natsUrl) {
        throw new Error(`feature feed ${spec.stream}: set DRIFTLOOP_NATS_URL to consume JetStream ${spec.jetstream}`);
      }
      const feed = new JetStreamFeed({
        servers: o.config.natsUrl,
        jetstream: spec.jetstream,
        stream: spec.stream,
        durable: spec.durable ?? `${o.config.feedConsumer}-${spec.stream}`,
        databaseUrl: o.databaseUrl,
        runtime,
        logger: o.logger,
      });
      await feed.start();
      feeds.push(feed);
    }
  } catch (err) {
    await Promise.all(feeds.map((f) => f.close()));
    runtime.close();
    await eventLog.close();
    throw err;
  }
  return {
    runtime,
    eventLog,
    feeds,
    sync,
    async close() {
      await Promise.all(feeds.map((f) => f.close()));
      runtime.close();
      await eventLog.close();
    },
  };
}

/** The predict route's step for models with batch or stream features: instances → complete rows (400s as InputError). */
export async function resolveFeatureRows(
  features: ServingFeatures,
  model: string,
  specs: readonly SourcedFeature[],
  instances: readonly unknown[],
): Promise<FeatureRow[]> {
  try {
    return (await features.runtime.resolve(model, specs, instances)) as unknown as FeatureRow[];
  } catch (err) {
    if (err instanceof EventInputError) throw new InputError(err.message, err.status);
    throw err;
  }
}
