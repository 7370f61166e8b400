/**
 * The Open Inference Protocol (KServe v2, REST): health, model metadata and infer, so existing
 * clients work unchanged. Inputs: one tensor per feature, shape [N] or [N, 1], FP32/INT64 for
 * numerical and BYTES for categorical features. Outputs: label (BYTES [N]), probabilities (FP32 [N, C]),
 * score (FP64 [N]) for classifiers, value (FP64 [N]) for regression, and prediction_id (BYTES [N])
 * to attach labels later.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ServingContext } from '../context';
import type { LiveModel } from '../liveModels';
import { inferOip, type OipRequest } from '../oip/infer';
import { OIP_DATATYPES as DATATYPES } from '../oip/tensorData';
import { modelOr404 } from './lookup';

type InferBody = OipRequest;

const inferSchema = {
  body: {
    type: 'object',
    required: ['inputs'],
    properties: {
      id: { type: 'string' },
      parameters: { type: 'object' },
      inputs: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['name', 'shape', 'datatype', 'data'],
          properties: {
            name: { type: 'string' },
            shape: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1 },
            datatype: { type: 'string', enum: DATATYPES },
            parameters: { type: 'object' },
            data: { type: 'array' },
          },
        },
      },
      outputs: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string' }, parameters: { type: 'object' } },
        },
      },
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        model_name: { type: 'string' },
        model_version: { type: 'string' },
        id: { type: 'string' },
        parameters: { type: 'object', additionalProperties: true },
        outputs: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              datatype: { type: 'string' },
              shape: { type: 'array', items: { type: 'integer' } },
              data: { type: 'array', items: {} },
            },
          },
        },
      },
    },
  },
} as const;

function outputMetadata(model: LiveModel) {
  const id = { name: 'prediction_id', datatype: 'BYTES', shape: [-1] };
  if (model.task === 'regression') return [{ name: 'value', datatype: 'FP64', shape: [-1] }, id];
  return [
    { name: 'label', datatype: 'BYTES', shape: [-1] },
    { name: 'probabilities', datatype: 'FP32', shape: [-1, model.target.classes?.length ?? -1] },
    { name: 'score', datatype: 'FP64', shape: [-1] },
    id,
  ];
}

export const inferenceRoutes: FastifyPluginAsync<{ ctx: ServingContext }> = async (app, { ctx }) => {
  app.get('/v2', async () => ({ name: 'driftloop', version: '0.1.0', extensions: [] }));
  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async (_request, reply) => {
    const ready = ctx.ready();
    reply.code(ready ? 200 : 503);
    return { ready };
  });
  app.get<{ Params: { name: string } }>('/v2/models/:name/ready', async (request, reply) => {
    const model = ctx.models.get(request.params.name);
    const ready = !!(model && (model.production || model.canary));
    reply.code(ready ? 200 : 503);
    return { name: request.params.name, ready };
  });
  app.get<{ Params: { name: string } }>('/v2/models/:name', async (request) => {
    const model = modelOr404(ctx, request.params.name);
    const versions = [model.production, model.canary].filter((v) => v !== null).map((v) => String(v!.version));
    return {
      name: model.name,
      versions,
      platform: 'onnxruntime_onnx',
      inputs: model.features.map((f) => ({
        name: f.name,
        datatype: f.type === 'numerical' ? 'FP32' : 'BYTES',
        shape: [-1, 1],
      })),
      outputs: outputMetadata(model),
      parameters: {
        task: model.task,
        classes: model.target.classes ?? [],
        production_version: model.production?.version ?? null,
        canary_version: model.canary?.version ?? null,
        canary_share: model.canary ? model.policy.retrain.canaryShare : 0,
      },
    };
  });

  const infer = async (request: FastifyRequest<{ Params: { name: string; version?: string }; Body: InferBody }>) => {
    request.servedBy = {};
    const { response } = await inferOip(ctx, {
      model: request.params.name,
      version: request.params.version,
      request: request.body,
      servedBy: request.servedBy,
    });
    return response;
  };
  app.post<{ Params: { name: string }; Body: InferBody }>('/v2/models/:name/infer', { schema: inferSchema }, infer);
  app.post<{ Params: { name: string; version: string }; Body: InferBody }>(
    '/v2/models/:name/versions/:version/infer',
    { schema: inferSchema },
    infer,
  );
};
