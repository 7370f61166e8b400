/**
 * A signed POST describing the stage change, for a GitOps repository or a deploy pipeline: the change,
 * the traffic split it leads to (which version gets which share), and the changed version's ONNX.
 * Signed as driftloop's alert webhooks are (HMAC-SHA256 over `${timestamp}.${body}`, headers
 * x-driftloop-signature / -timestamp / -event-id), the event id being the workflow step's key, the
 * same on every retry so a receiver drops duplicates. Confirmed only on a 2xx answer; anything else
 * fails the step, which Temporal retries durably.
 */
import { EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from '../alerts/webhook';
import { trafficFile } from './modelRepository';
import type { DeploymentState, TargetOf } from './types';
import { TargetError } from './types';

export const DEPLOY_EVENT_TYPE = 'driftloop.stage_change';

export function stageChangeBody(state: DeploymentState) {
  const changed = [state.production, state.canary, state.shadow].find((v) => v?.version === state.change.version);
  return {
    id: state.change.key,
    type: DEPLOY_EVENT_TYPE,
    model: state.model,
    change: state.change,
    traffic: trafficFile(state).routes,
    shadow: state.shadow?.version ?? null,
    versions: {
      production: state.production ? { version: state.production.version, sha256: state.production.sha256 } : null,
      canary: state.canary
        ? { version: state.canary.version, sha256: state.canary.sha256, share: state.canary.share }
        : null,
      shadow: state.shadow ? { version: state.shadow.version, sha256: state.shadow.sha256 } : null,
    },
    /** The changed version's ONNX when it is live (absent for a reject or retire). */
    artifact: changed
      ? { version: changed.version, sha256: changed.sha256, onnxBase64: Buffer.from(changed.onnx).toString('base64') }
      : null,
  };
}

export const webhookTarget: TargetOf<'webhook'> = {
  type: 'webhook',
  describe: (config) => `deploy webhook ${config.url}`,
  async apply(config, state, ctx) {
    const secret = ctx.env[config.secretEnv];
    if (!secret) {
      throw new TargetError(
        `deploy webhook ${config.url}: ${config.secretEnv} is not set; set it to the secret the receiver verifies signatures with`,
      );
    }
    const body = JSON.stringify(stageChangeBody(state));
    const timestamp = Math.floor(Date.now() / 1000);
    let res: Response;
    try {
      res = await fetch(config.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
          [TIMESTAMP_HEADER]: String(timestamp),
          [EVENT_ID_HEADER]: state.change.key,
        },
        body,
        signal: AbortSignal.timeout(config.timeoutSeconds * 1000),
      });
    } catch (err) {
      throw new TargetError(`deploy webhook ${config.url}: ${(err as Error).message}; the step is retried`);
    }
    const text = await res.text().catch(() => '');
    if (res.status < 200 || res.status >= 300) {
      throw new TargetError(
        `deploy webhook ${config.url} answered ${res.status} (${text.slice(0, 200)}); the change is confirmed only on 2xx, the step is retried`,
      );
    }
    return { status: res.status };
  },
};
