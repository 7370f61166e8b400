/**
 * Generic webhook: the alert as JSON, signed like Stripe's webhooks. The signature is
 * HMAC-SHA256 over `${timestamp}.${body}` with the shared secret, so a receiver can reject
 * forged bodies and replays older than its tolerance.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { postJson } from './http';
import type { AlertMessage, SinkOutcome } from './types';

export const SIGNATURE_HEADER = 'x-driftloop-signature';
export const TIMESTAMP_HEADER = 'x-driftloop-timestamp';
/** The same for every retry of one event: receivers drop duplicates by it. */
export const EVENT_ID_HEADER = 'x-driftloop-event-id';

const EVENT_TYPE = {
  trigger: 'incident.triggered',
  refresh: 'incident.updated',
  resolve: 'incident.resolved',
  notice: 'retrain.outcome',
} as const;

export interface WebhookBody {
  eventId: number;
  type: (typeof EVENT_TYPE)[keyof typeof EVENT_TYPE];
  incident: AlertMessage;
}

export function webhookBody(eventId: number, message: AlertMessage): WebhookBody {
  return { eventId, type: EVENT_TYPE[message.action], incident: message };
}

/** `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers: true when the signature matches and the timestamp is within `toleranceSeconds` of now. */
export function verifyWebhookSignature(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: string,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(timestamp)) return false;
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export async function sendToWebhook(
  url: string,
  secret: string | undefined,
  eventId: number,
  message: AlertMessage,
): Promise<SinkOutcome> {
  const body = JSON.stringify(webhookBody(eventId, message));
  // Signed at each attempt: a retry an hour later must still pass the receiver's replay window.
  const timestamp = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { [EVENT_ID_HEADER]: String(eventId), [TIMESTAMP_HEADER]: String(timestamp) };
  if (secret) headers[SIGNATURE_HEADER] = signWebhook(secret, timestamp, body);
  return postJson(url, body, headers);
}
