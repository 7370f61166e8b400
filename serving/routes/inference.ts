/**
 * The Open Inference Protocol (KServe v2, REST): health, model metadata and infer, so existing
 * clients (tritonclient.http, kserve's InferenceRESTClient) work unchanged. Inputs: one tensor per
 * feature ([N] or [N, 1]) or one [N, F] tensor (serving/oip/inputs.ts). Outputs: label (BYTES [N]),
 * probabilities (FP32 [N, C]), score (FP64 [N]) for classifiers, value (FP64 [N]) for regression, and
 * prediction_id (BYTES [N]) to attach labels later. Bodies are JSON whatever their Content-Type, or
 * Triton's binary tensor extension (serving/oip/binaryExtension.ts); gzip/deflate bodies are
 * decompressed by @fastify/compress (server.ts).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ServingContext } from '../context';
import { encodeBinaryResponse, INFERENCE_HEADER, parseInferBody, withBinaryData } from '../oip/binaryExtension';
import { CLASSIFICATION_EXTENSION } from '../oip/classification';
import { inferOip, type OipRequest } from '../oip/infer';
import { modelMetadata, servedVersions } from '../oip/metadata';
import { OIP_DATATYPES as DATATYPES } from '../oip/tensorData';
import { modelOr404 } from './lookup';

type InferBody = OipRequest;

/** Every error answer: `{"error": "..."}` with Content-Type application/json (server.ts). */
export const errorBody = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' } },
} as const;

const inferSchema = {
  params: {
    type: 'object',
    properties: { name: { type: 'string' }, version: { type: 'string' } },
  },
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
          required: ['name', 'shape', 'datatype'],
          properties: {
            name: { type: 'string' },
            shape: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1 },
            datatype: { type: 'string', enum: DATATYPES },
            parameters: {
              type: 'object',
              properties: { binary_data_size: { type: 'integer', minimum: 0 } },
            },
            data: {
              type: 'array',
              description: 'flat or nested row-major values; absent when parameters.binary_data_size is given',
            },
          },
        },
      },
      outputs: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name'],
          properties: {
            name: { type: 'string' },
            parameters: {
              type: 'object',
              description:
                'binary_data (boolean): return this output as binary; classification (positive integer k): return the top-k classes per row as BYTES "value:index[:label]"',
            },
          },
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
    '4xx': errorBody,
    '5xx': errorBody,
  },
} as const;

const tensorMetadata = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      datatype: { type: 'string' },
      shape: { type: 'array', items: { type: 'integer' } },
    },
  },
} as const;

const modelParams = { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } as const;
const versionParams = {
  type: 'object',
  required: ['name', 'version'],
  properties: { name: { type: 'string' }, version: { type: 'string' } },
} as const;

const metadataSchema = (params: object) => ({
  params,
  response: {
    200: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        versions: { type: 'array', items: { type: 'string' } },
        platform: { type: 'string' },
        inputs: tensorMetadata,
        outputs: tensorMetadata,
        parameters: { type: 'object', additionalProperties: true },
      },
    },
    '4xx': errorBody,
  },
});

const readiness = { type: 'object', properties: { name: { type: 'string' }, ready: { type: 'boolean' } } } as const;

const readySchema = (params: object) => ({
  params,
  response: {
    200: readiness,
    '4xx': { description: 'not ready (404: no such model or version served here)', ...readiness },
  },
});

export const inferenceRoutes: FastifyPluginAsync<{ ctx: ServingContext }> = async (app, { ctx }) => {
  // tritonclient.http posts JSON with no Content-Type, and binary tensor bodies with any: every body on these
  // routes is an Open Inference Protocol request, JSON or JSON header + binary tensors.
  // An unparsable Content-Type must not turn a valid body into a 415 either: the header is ignored here.
  app.addHook('onRequest', async (request) => {
    delete request.raw.headers['content-type'];
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, parseInferBody(body as Buffer, request.headers[INFERENCE_HEADER], ctx.config.serveMaxJsonDepth));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.get(
    '/v2',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              version: { type: 'string' },
              extensions: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
    },
    async () => ({ name: 'driftloop', version: '0.1.0', extensions: ['binary_tensor_data', CLASSIFICATION_EXTENSION] }),
  );
  app.get(
    '/v2/health/live',
    { schema: { response: { 200: { type: 'object', properties: { live: { type: 'boolean' } } } } } },
    async () => ({ live: true }),
  );
  app.get(
    '/v2/health/ready',
    {
      schema: {
        response: {
          200: { type: 'object', properties: { ready: { type: 'boolean' } } },
          503: { type: 'object', properties: { ready: { type: 'boolean' } } },
        },
      },
    },
    async (_request, reply) => {
      const ready = ctx.ready();
      reply.code(ready ? 200 : 503);
      return { ready };
    },
  );
  app.get<{ Params: { name: string } }>(
    '/v2/models/:name/ready',
    { schema: readySchema(modelParams) },
    async (request, reply) => {
      const model = ctx.models.get(request.params.name);
      const ready = !!(model && (model.production || model.canary));
      // The protocol: 200 = ready, 4xx = not ready (404: no such model here; 400: known, nothing loaded to answer).
      reply.code(ready ? 200 : model ? 400 : 404);
      return { name: request.params.name, ready };
    },
  );
  app.get<{ Params: { name: string; version: string } }>(
    '/v2/models/:name/versions/:version/ready',
    { schema: readySchema(versionParams) },
    async (request, reply) => {
      const { name, version } = request.params;
      const model = ctx.models.get(name);
      const ready = !!model && servedVersions(model).some((v) => String(v.version) === version);
      reply.code(ready ? 200 : 404);
      return { name, ready };
    },
  );
  app.get<{ Params: { name: string } }>(
    '/v2/models/:name',
    { schema: metadataSchema(modelParams) },
    async (request) => {
      return modelMetadata(modelOr404(ctx, request.params.name));
    },
  );
  app.get<{ Params: { name: string; version: string } }>(
    '/v2/models/:name/versions/:version',
    { schema: metadataSchema(versionParams) },
    async (request) => {
      const model = modelOr404(ctx, request.params.name);
      return modelMetadata(model, request.params.version);
    },
  );

  const infer = async (
    request: FastifyRequest<{ Params: { name: string; version?: string }; Body: InferBody }>,
    reply: FastifyReply,
  ) => {
    request.servedBy = {};
    const { response } = await inferOip(ctx, {
      model: request.params.name,
      version: request.params.version,
      request: withBinaryData(request.body),
      servedBy: request.servedBy,
    });
    const binary = encodeBinaryResponse(request.body, response);
    if (!binary) return response;
    reply.header('Inference-Header-Content-Length', binary.headerLength).type('application/octet-stream');
    return binary.body;
  };
  app.post<{ Params: { name: string }; Body: InferBody }>('/v2/models/:name/infer', { schema: inferSchema }, infer);
  app.post<{ Params: { name: string; version: string }; Body: InferBody }>(
    '/v2/models/:name/versions/:version/infer',
    { schema: inferSchema },
    infer,
  );
};
