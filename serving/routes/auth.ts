/**
 * Bearer tokens: the write token (labels, admin) when config.apiToken is set, and the inference
 * token (predict, infer, model metadata) when config.inferenceToken is set; the write token is
 * accepted on inference too. The scheme is case-insensitive (RFC 9110); tokens compare in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { onRequestHookHandler } from 'fastify';
import type { DriftloopConfig } from '../../config/index';
import type { ServingContext } from '../context';
import { InputError } from '../featureInput';

/** The token of an `Authorization: Bearer <token>` header, whatever the scheme's case; null when absent. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1] : null;
}

function sameSecret(given: string, expected: string): boolean {
  // Digests have one length, so the comparison time tells nothing about the token's length either.
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

/** Whether an Authorization header may call inference: always when no inference token is configured. */
export function inferenceAllowed(config: DriftloopConfig, header: string | undefined): boolean {
  if (!config.inferenceToken) return true;
  const given = bearerToken(header);
  if (given === null) return false;
  return sameSecret(given, config.inferenceToken) || (!!config.apiToken && sameSecret(given, config.apiToken));
}

export function requireToken(ctx: ServingContext): onRequestHookHandler {
  const token = ctx.config.apiToken;
  return async (request) => {
    if (!token) return;
    const given = bearerToken(request.headers.authorization);
    if (given === null || !sameSecret(given, token)) {
      throw new InputError(
        'this endpoint needs "Authorization: Bearer <token>" with the server\'s DRIFTLOOP_API_TOKEN',
        401,
      );
    }
  };
}

/** Guards the inference routes: every /v2/models/… route and /v1/models/:name/predict. */
export function requireInferenceToken(ctx: ServingContext): onRequestHookHandler {
  return async (request) => {
    if (!ctx.config.inferenceToken) return;
    const route = request.routeOptions.url ?? '';
    if (!route.startsWith('/v2/models/') && !route.endsWith('/predict')) return;
    if (!inferenceAllowed(ctx.config, request.headers.authorization)) {
      throw new InputError(
        'inference needs "Authorization: Bearer <token>" with the server\'s DRIFTLOOP_INFERENCE_TOKEN',
        401,
      );
    }
  };
}
