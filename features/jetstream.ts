/**
 * A NATS JetStream feed for one driftloop stream: a durable pull consumer on an existing
 * JetStream stream (the maintained `nats` client), so events already published there need no
 * bridge. Each message is one event (or {"events": [...]}) checked like POST /v1/events; a batch
 * is added to the server's windows, written to the event log, and only then acknowledged: a
 * crash before the write redelivers it, and the (stream, id) key stores it once. A message that
 * fails the check is terminated (never redelivered) and logged with its sequence and the reason.
 */
import { AckPolicy, connect, DeliverPolicy, type JsMsg, type NatsConnection } from 'nats';
import { openClient, type DbClient } from '../store/db';
import type { Logger } from '../config/logger';
import { copyFeatureEvents } from '../store/featureEvents';
import { EventInputError, parseEvents } from './events';
import type { FeatureRuntime } from './serving';
import type { FeatureEvent } from './windows';

export interface JetStreamFeedOptions {
  /** nats://host:port */
  servers: string;
  /** The JetStream stream to consume. */
  jetstream: string;
  /** The driftloop stream its events feed. */
  stream: string;
  /** Durable consumer name: one per server (each server keeps its own windows). */
  durable: string;
  databaseUrl: string;
  runtime: FeatureRuntime;
  logger: Logger;
  /** Messages per fetch at most (default 500). */
  batch?: number;
}

export class JetStreamFeed {
  private nc: NatsConnection | null = null;
  private client: DbClient | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  readonly totals = { received: 0, stored: 0, rejected: 0, failedWrites: 0 };

  constructor(private readonly options: JetStreamFeedOptions) {}

  async start(): Promise<void> {
    const o = this.options;
    this.nc = await connect({ servers: o.servers, name: `driftloop-feed-${o.stream}` });
    const jsm = await this.nc.jetstreamManager();
    try {
      await jsm.streams.info(o.jetstream);
    } catch (err) {
      throw new Error(
        `feature feed ${o.stream}: JetStream stream ${o.jetstream} not found on ${o.servers} (${(err as Error).message}); create it or fix DRIFTLOOP_FEATURE_FEEDS`,
        { cause: err },
      );
    }
    // Idempotent: adding an existing durable with the same config is a no-op.
    await jsm.consumers.add(o.jetstream, {
      durable_name: o.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: 30_000_000_000,
    });
    this.running = true;
    this.loop = this.run();
    o.logger.info(
      { stream: o.stream, jetstream: o.jetstream, durable: o.durable },
      `feature feed ${o.stream}: consuming JetStream ${o.jetstream}`,
    );
  }

  private async db(): Promise<DbClient> {
    if (this.client) return this.client;
    const client = openClient({ connectionString: this.options.databaseUrl, application_name: 'driftloop-feed' });
    client.on('error', () => undefined);
    await client.connect();
    this.client = client;
    return client;
  }

  private async run(): Promise<void> {
    const o = this.options;
    const js = this.nc!.jetstream();
    const consumer = await js.consumers.get(o.jetstream, o.durable);
    let delayMs = 0;
    while (this.running) {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      const messages: JsMsg[] = [];
      try {
        const batch = await consumer.fetch({ max_messages: o.batch ?? 500, expires: 1_000 });
        for await (const m of batch) messages.push(m);
      } catch (err) {
        if (!this.running) break;
        o.logger.warn({ stream: o.stream, err: (err as Error).message }, 'feature feed: fetch failed, retrying');
        delayMs = Math.min(5_000, Math.max(200, delayMs * 2));
        continue;
      }
      if (messages.length === 0) continue;
      delayMs = (await this.handle(messages)) ? 0 : Math.min(5_000, Math.max(200, delayMs * 2));
    }
  }

  /** Checks, applies, stores, acknowledges. Returns false when the write failed (messages nak'ed for redelivery). */
  private async handle(messages: JsMsg[]): Promise<boolean> {
    const o = this.options;
    const schema = o.runtime.streamSchema(o.stream);
    const good: JsMsg[] = [];
    const events: FeatureEvent[] = [];
    const receivedAt = Date.now();
    for (const m of messages) {
      this.totals.received++;
      try {
        if (!schema) throw new EventInputError(`no registered model reads stream ${o.stream}`);
        let body: unknown;
        try {
          body = m.json();
        } catch {
          throw new EventInputError('the message is not JSON');
        }
        const wrapped = body && typeof body === 'object' && 'events' in body ? body : { events: [body] };
        for (const e of (wrapped as { events: unknown[] }).events) {
          if (e && typeof e === 'object' && !('id' in e)) {
            // A message without an id is identified by its Nats-Msg-Id header or its stream sequence.
            (e as Record<string, unknown>).id = m.headers?.get('Nats-Msg-Id') || `${o.jetstream}:${m.seq}`;
          }
        }
        events.push(...parseEvents(schema, wrapped, receivedAt));
        good.push(m);
      } catch (err) {
        this.totals.rejected++;
        o.logger.error(
          { stream: o.stream, jetstream: o.jetstream, seq: m.seq, err: (err as Error).message },
          `feature feed ${o.stream}: message ${m.seq} rejected and terminated: ${(err as Error).message}`,
        );
        m.term((err as Error).message.slice(0, 200));
      }
    }
    if (good.length === 0) return true;
    o.runtime.ingest(o.stream, events, false);
    try {
      const client = await this.db();
      await copyFeatureEvents(
        client,
        events.map((e) => ({ stream: o.stream, ...e })),
      );
    } catch (err) {
      this.totals.failedWrites++;
      this.client?.end().catch(() => undefined);
      this.client = null;
      o.logger.warn(
        { stream: o.stream, messages: good.length, err: (err as Error).message },
        'feature feed: event log write failed; messages left for redelivery',
      );
      for (const m of good) m.nak(1_000);
      return false;
    }
    for (const m of good) m.ack();
    this.totals.stored += events.length;
    return true;
  }

  async close(): Promise<void> {
    this.running = false;
    await this.loop?.catch(() => undefined);
    await this.nc?.drain().catch(() => undefined);
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }
}
