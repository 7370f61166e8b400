/** POSTs a JSON body with a timeout and classifies the answer: delivered, retry later, or rejected for good. */
import type { SinkOutcome } from './types';

export const SINK_TIMEOUT_MS = 10_000;

/** Retry-After in seconds or as an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * 2xx is delivered; 429, 5xx, timeouts and connection errors are worth retrying; any other status
 * is the sink refusing this payload, which no retry will change.
 */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string> = {},
  timeoutMs = SINK_TIMEOUT_MS,
): Promise<SinkOutcome> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'driftloop', ...headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const reason =
      e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { kind: 'retryable', status: null, message: `POST ${redact(url)} failed: ${reason}` };
  }
  const text = (await response.text().catch(() => '')).slice(0, 2000);
  if (response.ok) return { kind: 'delivered', status: response.status };
  const message = `POST ${redact(url)} answered ${response.status}${text ? `: ${text}` : ''}`;
  if (response.status === 429 || response.status >= 500) {
    return {
      kind: 'retryable',
      status: response.status,
      message,
      retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
    };
  }
  return { kind: 'rejected', status: response.status, message };
}

/** Webhook URLs carry their secret in the path (Slack): logs show only the origin. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname.length > 1 ? `${u.origin}/…` : u.origin;
  } catch {
    return '(invalid url)';
  }
}
