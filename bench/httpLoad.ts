/**
 * The one HTTP load driver of the benches: autocannon in a worker thread (so the load does not share
 * the server's event loop), either as fast as `connections` allow (the maximum throughput) or at a
 * fixed overall rate (latency at a given load, e.g. half the maximum). Returns the figures every
 * bench prints.
 */
import autocannon from 'autocannon';

export interface LoadPayload {
  headers: Record<string, string>;
  /** One body for every request. */
  body?: string;
  /** Or bodies cycled through, one per request. */
  bodies?: string[];
  /** A CommonJS module autocannon's worker requires to set a binary body (a Buffer cannot cross to the worker). */
  setupClient?: string;
}

export interface LoadRun {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export interface LoadOptions {
  seconds: number;
  /** Connections at full load; a rate-limited run uses 8 (enough for the rate, few enough to queue little). */
  connections: number;
  /** Requests per second over all connections; absent: as fast as the server answers. */
  overallRate?: number;
}

export async function httpLoad(url: string, payload: LoadPayload, o: LoadOptions): Promise<LoadRun> {
  const r = await autocannon({
    url,
    method: 'POST',
    headers: payload.headers,
    ...(payload.body !== undefined ? { body: payload.body } : {}),
    ...(payload.bodies ? { requests: payload.bodies.map((body) => ({ method: 'POST' as const, body })) } : {}),
    // With workers, autocannon takes setupClient as a module path (its types only know the function form).
    ...(payload.setupClient
      ? { setupClient: payload.setupClient as unknown as autocannon.Options['setupClient'] }
      : {}),
    connections: o.overallRate ? 8 : o.connections,
    duration: o.seconds,
    workers: 1,
    ...(o.overallRate ? { overallRate: o.overallRate } : {}),
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
