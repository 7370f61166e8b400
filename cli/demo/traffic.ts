/**
 * A demo's traffic through the real HTTP API: a request every `periodMs` with the instances the
 * scenario draws, each prediction recorded with what the scenario knows about it, and its true
 * outcome posted as a late label `labelDelaySeconds` after it was served. Shared by both demos.
 */
import type { Logger } from '../../config/logger';

export interface ServedPrediction {
  id: string;
  /** When its request was sent (epoch ms). */
  sentAt: number;
  version: number;
}

export interface TrafficOptions<B, R extends ServedPrediction> {
  serverUrl: string;
  model: string;
  logger: Logger;
  /** Milliseconds from one request's start to the next. */
  periodMs: number;
  /** Draws the next request's batch (the scenario's state at that moment). */
  nextBatch(): B;
  instances(batch: B): object[];
  /** What to remember about the i-th served row of a batch. */
  record(batch: B, i: number, served: ServedPrediction & { prediction: unknown }): R;
  labelDelaySeconds: number;
  labelOf(row: R): string | number;
}

export async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

export class DemoTraffic<B, R extends ServedPrediction> {
  readonly served: R[] = [];
  requests = 0;
  failedRequests = 0;
  /** Rows [0, labeledUpTo) of `served` have their labels posted. */
  labeledUpTo = 0;
  /** When a version above 1 first answered from production (epoch ms). */
  firstNewVersionAt: number | null = null;
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(private readonly options: TrafficOptions<B, R>) {
    this.loops = [this.predictLoop(), this.labelLoop()];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async predictLoop(): Promise<void> {
    const o = this.options;
    while (this.running) {
      const tick = Date.now();
      const batch = o.nextBatch();
      try {
        this.requests++;
        const res = await postJson(`${o.serverUrl}/v1/models/${o.model}/predict`, { instances: o.instances(batch) });
        if (!res.ok) throw new Error(`HTTP ${res.status} ${await res.text()}`);
        const body = (await res.json()) as { ids: string[]; version: number; stage: string; predictions: unknown[] };
        if (body.version > 1 && body.stage === 'production' && this.firstNewVersionAt === null)
          this.firstNewVersionAt = Date.now();
        body.ids.forEach((id, i) =>
          this.served.push(
            o.record(batch, i, { id, sentAt: tick, version: body.version, prediction: body.predictions[i] }),
          ),
        );
      } catch (err) {
        this.failedRequests++;
        o.logger.warn({ err }, 'demo request failed');
      }
      await new Promise((r) => setTimeout(r, Math.max(0, o.periodMs - (Date.now() - tick))));
    }
  }

  private async labelLoop(): Promise<void> {
    const o = this.options;
    while (this.running) {
      await new Promise((r) => setTimeout(r, 1_000));
      const due = Date.now() - o.labelDelaySeconds * 1_000;
      let end = this.labeledUpTo;
      while (end < this.served.length && this.served[end].sentAt <= due) end++;
      if (end === this.labeledUpTo) continue;
      const labels = this.served.slice(this.labeledUpTo, end).map((s) => ({ id: s.id, label: o.labelOf(s) }));
      const res = await postJson(`${o.serverUrl}/v1/models/${o.model}/labels`, labels).catch(
        (err: Error) => ({ ok: false, status: 0, statusText: err.message }) as Response,
      );
      if (res.ok) this.labeledUpTo = end;
      else o.logger.warn({ status: res.status, error: res.statusText }, 'demo labels rejected');
    }
  }
}
