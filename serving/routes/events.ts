/**
 * POST /v1/events/:stream with {"events": [{id, ts, <entity keys>, <fields>}]}: events for stream
 * features. Checked against what the stream's features read, deduplicated by id, added to this
 * server's windows and sent to `feature_events` through the bounded COPY log. 202 with counts.
 */
import type { FastifyPluginAsync } from 'fastify';
import { EventInputError, parseEvents } from '../../features/events';
import type { ServingContext } from '../context';
import { InputError } from '../featureInput';
import { requireToken } from './auth';

const eventsSchema = {
  params: {
    type: 'object',
    properties: { stream: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' } },
    required: ['stream'],
  },
  body: { type: 'object', required: ['events'], properties: { events: { type: 'array', minItems: 1 } } },
  response: {
    202: {
      type: 'object',
      properties: {
        stream: { type: 'string' },
        accepted: { type: 'integer' },
        duplicates: { type: 'integer' },
        expired: { type: 'integer' },
      },
    },
  },
} as const;

export const eventRoutes: FastifyPluginAsync<{ ctx: ServingContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', requireToken(ctx));
  app.post<{ Params: { stream: string }; Body: { events: unknown[] } }>(
    '/v1/events/:stream',
    { schema: eventsSchema },
    async (request, reply) => {
      const { stream } = request.params;
      const runtime = ctx.features.runtime;
      // A model registered since the last sync may have brought this stream.
      if (!runtime.streamSchema(stream)) await ctx.features.sync();
      const schema = runtime.streamSchema(stream);
      if (!schema) {
        const known = runtime.streams();
        throw new InputError(
          `stream ${stream}: no registered model has a stream feature reading it (known streams: ${known.length ? known.join(', ') : 'none'}); register the model first`,
          404,
        );
      }
      try {
        const events = parseEvents(schema, request.body, Date.now());
        const result = runtime.ingest(stream, events);
        reply.code(202);
        return { stream, ...result };
      } catch (err) {
        if (err instanceof EventInputError) throw new InputError(err.message, err.status);
        throw err;
      }
    },
  );
};
