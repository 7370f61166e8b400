/**
 * The Open Inference Protocol (KServe v2, REST): health, model metadata and infer, so existing
 * clients work unchanged. Inputs: one tensor per feature, shape [N] or [N, 1], FP32/INT64 for
 * numerical and BYTES for categorical features. Outputs: label (BYTES [N]), probabilities (FP32 [N, C]),
 * score (FP64 [N]) for classifiers, value (FP64 [N]) for regression, and prediction_id (BYTES [N])
 * to attach labels later.
 */
import type { FastifyPluginAsync } from 'fastify';
import { performance } from 'node:perf_hooks';
import type { ServingContext } from '../context';
import { InputError, rowsFromTensors, type InferInputTensor } from '../featureInput';
import type { LiveModel, Route } from '../liveModels';
import { jsonNumbers, scoreRequest } from '../scoring';
import { modelOr404 } from './lookup';

interface InferBody {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: InferInputTensor[];
  outputs?: Array<{ name: string }>;
}

interface OutputTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown[];
}

const DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
];

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

  /** The versioned route: that version answers (production or canary), the shadow still sees a copy. */
  const pinned = (model: LiveModel, version: number): Route => {
    const served = ctx.models.version(model, version);
    if (!served) {
      const live = [model.production, model.canary].filter((v) => v !== null).map((v) => v!.version);
      throw new InputError(
        `model ${model.name} version ${version} is not served; served versions: ${live.join(', ')}`,
        404,
      );
    }
    return { served, shadow: model.shadow };
  };

  const infer = async (name: string, version: number | null, body: InferBody, request: { servedBy: unknown }) => {
    const startedAt = performance.now();
    request.servedBy = { model: name, route: 'v2_infer' };
    const model = modelOr404(ctx, name);
    const rows = rowsFromTensors(name, model.features, body.inputs);
    if (rows.length === 0) throw new InputError(`model ${name}: the inputs hold no rows`);
    if (rows.length > ctx.maxInstances) {
      throw new InputError(`model ${name}: ${rows.length} rows in one request; at most ${ctx.maxInstances}`, 413);
    }
    const route = version === null ? ctx.models.route(model) : pinned(model, version);
    if (!route) throw new InputError(`model ${name} has no production or canary version loaded`, 503);
    const { served, shadow } = route;
    request.servedBy = { model: name, route: 'v2_infer', version: served.version, stage: served.stage };
    const scored = await scoreRequest(ctx, model, served, shadow, rows, startedAt);
    const { batch, offset, n, ids } = scored;
    let outputs: OutputTensor[];
    const scores = jsonNumbers(batch.scores.subarray(offset, offset + n));
    if (batch.classes && batch.labels && batch.probabilities) {
      const c = batch.classes.length;
      outputs = [
        { name: 'label', datatype: 'BYTES', shape: [n], data: batch.labels.slice(offset, offset + n) },
        {
          name: 'probabilities',
          datatype: 'FP32',
          shape: [n, c],
          data: jsonNumbers(batch.probabilities.subarray(offset * c, (offset + n) * c)),
        },
        { name: 'score', datatype: 'FP64', shape: [n], data: scores },
      ];
    } else {
      outputs = [{ name: 'value', datatype: 'FP64', shape: [n], data: scores }];
    }
    outputs.push({ name: 'prediction_id', datatype: 'BYTES', shape: [n], data: ids });
    if (body.outputs?.length) {
      const wanted = new Set(body.outputs.map((o) => o.name));
      const unknown = [...wanted].filter((w) => !outputs.some((o) => o.name === w));
      if (unknown.length) {
        throw new InputError(
          `model ${name}: unknown output(s) ${unknown.join(', ')}; outputs are ${outputs.map((o) => o.name).join(', ')}`,
        );
      }
      outputs = outputs.filter((o) => wanted.has(o.name));
    }
    return {
      model_name: name,
      model_version: String(served.version),
      ...(body.id !== undefined ? { id: body.id } : {}),
      parameters: { stage: served.stage },
      outputs,
    };
  };

  app.post<{ Params: { name: string }; Body: InferBody }>(
    '/v2/models/:name/infer',
    { schema: inferSchema },
    async (request) => infer(request.params.name, null, request.body, request),
  );
  app.post<{ Params: { name: string; version: string }; Body: InferBody }>(
    '/v2/models/:name/versions/:version/infer',
    { schema: inferSchema },
    async (request) => {
      const version = Number(request.params.version);
      if (!Number.isInteger(version) || version < 1) {
        throw new InputError(`version "${request.params.version}" must be a positive integer`, 400);
      }
      return infer(request.params.name, version, request.body, request);
    },
  );
};
