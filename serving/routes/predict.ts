/** The plain JSON API for people: POST /v1/models/:name/predict with {"instances": [{feature: value}]}. */
import type { FastifyPluginAsync } from 'fastify';
import { performance } from 'node:perf_hooks';
import type { ServingContext } from '../context';
import { hasDerivedFeatures } from '../../features/definition';
import { InputError, rowsFromInstances } from '../featureInput';
import { resolveFeatureRows } from '../features';
import { jsonNumbers, scoreRequest } from '../scoring';
import { modelOr404 } from './lookup';

interface PredictBody {
  instances: unknown[];
}

const predictSchema = {
  params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  body: {
    type: 'object',
    required: ['instances'],
    properties: { instances: { type: 'array', minItems: 1 } },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        model: { type: 'string' },
        version: { type: 'integer' },
        stage: { type: 'string' },
        classes: { type: 'array', items: { type: 'string' } },
        ids: { type: 'array', items: { type: 'string' } },
        predictions: { type: 'array', items: {} },
        scores: { type: 'array', items: { type: ['number', 'null'] } },
        probabilities: { type: 'array', items: { type: 'array', items: { type: ['number', 'null'] } } },
      },
    },
  },
} as const;

export const predictRoutes: FastifyPluginAsync<{ ctx: ServingContext }> = async (app, { ctx }) => {
  app.post<{ Params: { name: string }; Body: PredictBody }>(
    '/v1/models/:name/predict',
    { schema: predictSchema },
    async (request) => {
      const startedAt = performance.now();
      const { name } = request.params;
      request.servedBy = { model: name, route: 'v1_predict' };
      const model = modelOr404(ctx, name);
      const instances = request.body.instances;
      if (instances.length > ctx.maxInstances) {
        throw new InputError(
          `model ${name}: ${instances.length} instances in one request; at most ${ctx.maxInstances} (split the request)`,
          413,
        );
      }
      const rows = hasDerivedFeatures(model.features)
        ? await resolveFeatureRows(ctx.features, name, model.features, instances)
        : rowsFromInstances(name, model.features, instances);
      const route = ctx.models.route(model);
      if (!route) throw new InputError(`model ${name} has no production or canary version loaded`, 503);
      request.servedBy = { model: name, route: 'v1_predict', version: route.served.version, stage: route.served.stage };
      const { served, ids, batch, offset, n } = await scoreRequest(
        ctx,
        model,
        route.served,
        route.shadow,
        rows,
        startedAt,
      );
      const scores = jsonNumbers(batch.scores.subarray(offset, offset + n));
      if (!batch.classes || !batch.labels || !batch.probabilities) {
        return { model: name, version: served.version, stage: served.stage, ids, predictions: scores, scores };
      }
      const c = batch.classes.length;
      const probabilities = new Array<Array<number | null>>(n);
      for (let i = 0; i < n; i++) {
        probabilities[i] = jsonNumbers(batch.probabilities.subarray((offset + i) * c, (offset + i + 1) * c));
      }
      return {
        model: name,
        version: served.version,
        stage: served.stage,
        classes: batch.classes,
        ids,
        predictions: batch.labels.slice(offset, offset + n),
        scores,
        probabilities,
      };
    },
  );
};
