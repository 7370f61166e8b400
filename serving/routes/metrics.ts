/** GET /metrics: Prometheus text format from the server's own registry. */
import type { FastifyPluginAsync } from 'fastify';
import type { ServingContext } from '../context';

export const metricsRoutes: FastifyPluginAsync<{ ctx: ServingContext }> = async (app, { ctx }) => {
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
};
