/** Bearer-token check for write endpoints (labels, admin), active only when config.apiToken is set. */
import { timingSafeEqual } from 'node:crypto';
import type { onRequestHookHandler } from 'fastify';
import type { ServingContext } from '../context';
import { InputError } from '../featureInput';

export function requireToken(ctx: ServingContext): onRequestHookHandler {
  const token = ctx.config.apiToken;
  const expected = token ? Buffer.from(`Bearer ${token}`) : null;
  return async (request) => {
    if (!expected) return;
    const given = Buffer.from(request.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new InputError(
        'this endpoint needs "Authorization: Bearer <token>" with the server\'s DRIFTLOOP_API_TOKEN',
        401,
      );
    }
  };
}
