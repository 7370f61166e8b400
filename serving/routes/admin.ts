/** Admin: POST /v1/admin/models/:name/reload re-reads the registry for one model (normally NOTIFY does it). */
import type { FastifyPluginAsync } from 'fastify';
import type { ServingContext } from '../context';
import { requireToken } from './auth';

export const adminRoutes: FastifyPluginAsync<{ ctx: ServingContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', requireToken(ctx));
  app.post<{ Params: { name: string } }>(
    '/v1/admin/models/:name/reload',
    { schema: { params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } } },
    async (request) => {
      const { name } = request.params;
      await ctx.models.refresh(name);
      const model = ctx.models.get(name);
      return {
        model: name,
        production: model?.production?.version ?? null,
        canary: model?.canary?.version ?? null,
        shadow: model?.shadow?.version ?? null,
      };
    },
  );
};
