/** POST /v1/models/:name/labels with [{id, label}]: late ground truth for predictions already served. */
import type { FastifyPluginAsync } from 'fastify';
import type { ServingContext } from '../context';
import { upsertLabels } from '../../store/predictions';
import { requireToken } from './auth';

interface LabelBody {
  id: string;
  label: string | number | boolean;
}

const labelsSchema = {
  params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  body: {
    type: 'array',
    minItems: 1,
    maxItems: 100_000,
    items: {
      type: 'object',
      required: ['id', 'label'],
      additionalProperties: false,
      properties: {
        id: { type: 'string', format: 'uuid' },
        label: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
      },
    },
  },
  response: { 200: { type: 'object', properties: { model: { type: 'string' }, labeled: { type: 'integer' } } } },
} as const;

export const labelRoutes: FastifyPluginAsync<{ ctx: ServingContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', requireToken(ctx));
  app.post<{ Params: { name: string }; Body: LabelBody[] }>(
    '/v1/models/:name/labels',
    { schema: labelsSchema },
    async (request) => {
      const { name } = request.params;
      const labels = request.body.map((l) => ({ id: l.id, label: String(l.label) }));
      const labeled = await upsertLabels(ctx.db, name, labels);
      return { model: name, labeled };
    },
  );
};
