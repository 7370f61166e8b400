/**
 * inference.GRPCInferenceService: health, metadata and ModelInfer over gRPC. ModelInfer decodes the
 * wire tensors into the in-memory Open Inference Protocol request and calls the very function the
 * HTTP /v2 infer route calls, so rows are validated, scored and logged to PostgreSQL the same way;
 * metrics carry route="grpc". Errors become gRPC status codes with a message naming the field.
 */
import {
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceError,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import type { ServedBy, ServingContext } from '../context';
import { InputError } from '../featureInput';
import { CLASSIFICATION_EXTENSION } from '../oip/classification';
import { inferOip } from '../oip/infer';
import { modelOr404 } from '../routes/lookup';
import { modelMetadata } from '../oip/metadata';
import {
  inferParameters,
  parameterValues,
  type ModelInferRequest,
  type ModelInferResponse,
  type ModelMetadataResponse,
  type ModelNameRequest,
} from './protocol';
import { inferenceAllowed } from '../routes/auth';
import { decodeInputs, encodeOutputs } from './tensors';

export const GRPC_ROUTE = 'grpc';

/** The HTTP status an InputError carries → the gRPC code a client of this protocol expects. */
export function grpcCodeFor(httpStatus: number): GrpcStatus {
  if (httpStatus === 404) return GrpcStatus.NOT_FOUND;
  if (httpStatus === 503) return GrpcStatus.UNAVAILABLE;
  if (httpStatus === 401) return GrpcStatus.UNAUTHENTICATED;
  if (httpStatus === 403) return GrpcStatus.PERMISSION_DENIED;
  if (httpStatus >= 400 && httpStatus < 500) return GrpcStatus.INVALID_ARGUMENT;
  return GrpcStatus.INTERNAL;
}

function serviceError(code: GrpcStatus, message: string): Partial<ServiceError> {
  return { code, details: message, message };
}

/** "" → the routed version (production or canary); otherwise a served version number. */
function requestedVersion(model: string, field: string, version: string): number | null {
  if (version === '') return null;
  const n = Number(version);
  if (!Number.isInteger(n) || n < 1) {
    throw new InputError(
      `model ${model}: ${field} "${version}" must be a positive integer or empty (the routed version)`,
    );
  }
  return n;
}

function requireName(field: string, name: string): void {
  if (!name) throw new InputError(`${field} is empty; name the model (the served models are listed by ModelMetadata)`);
}

export function inferenceService(ctx: ServingContext): UntypedServiceImplementation {
  /** A unary handler whose thrown InputError (or any error) becomes a gRPC status. */
  const unary =
    <Req, Res>(handle: (request: Req) => Promise<Res> | Res, guarded = false) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      Promise.resolve()
        .then(() => {
          // The same inference token as HTTP's /v2/models/… routes, from the `authorization` metadata.
          if (guarded && !inferenceAllowed(ctx.config, authorizationOf(call))) {
            throw new InputError(
              'this call needs "authorization: Bearer <token>" metadata with the server\'s DRIFTLOOP_INFERENCE_TOKEN',
              401,
            );
          }
          return handle(call.request);
        })
        .then(
          (response) => callback(null, response),
          (err: Error) => callback(toServiceError(ctx, err), null),
        );
    };

  const modelInfer = async (request: ModelInferRequest): Promise<ModelInferResponse> => {
    const startedAt = performance.now();
    const name = request.model_name;
    const servedBy: ServedBy = {};
    let status = 200;
    try {
      requireName('model_name', name);
      // Unknown model first: NOT_FOUND, whatever else is wrong with the request.
      modelOr404(ctx, name);
      servedBy.model = name;
      servedBy.route = GRPC_ROUTE;
      const inputs = decodeInputs(name, request.inputs, request.raw_input_contents);
      const { response } = await inferOip(ctx, {
        model: name,
        version: request.model_version,
        request: {
          ...(request.id ? { id: request.id } : {}),
          parameters: parameterValues(request.parameters),
          inputs,
          ...(request.outputs.length
            ? { outputs: request.outputs.map((o) => ({ name: o.name, parameters: parameterValues(o.parameters) })) }
            : {}),
        },
        servedBy,
        route: GRPC_ROUTE,
        startedAt,
      });
      return {
        model_name: response.model_name,
        model_version: response.model_version,
        id: request.id,
        parameters: inferParameters(response.parameters),
        outputs: response.outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape })),
        raw_output_contents: encodeOutputs(response.outputs),
      };
    } catch (err) {
      status = err instanceof InputError ? err.status : 500;
      // As the HTTP route does: every refused or failed infer naming a model lands in serving_errors.
      if (name) {
        ctx.errorLog.push({
          ts: Date.now(),
          model: name,
          version: servedBy.version ?? null,
          stage: servedBy.stage ?? null,
          status,
          reason: `gRPC ModelInfer: ${(err as Error).message}`.slice(0, 2000),
        });
      }
      throw err;
    } finally {
      // Only served models become label values (servedBy.model is set once the model is found):
      // unknown names must not grow /metrics.
      if (servedBy.model) {
        const version = servedBy.version === undefined ? 'none' : String(servedBy.version);
        ctx.metrics.requests.inc({ model: servedBy.model, version, route: GRPC_ROUTE, status: String(status) });
        ctx.metrics.requestSeconds.observe(
          { model: servedBy.model, version, route: GRPC_ROUTE },
          (performance.now() - startedAt) / 1000,
        );
      }
    }
  };

  return {
    ServerLive: unary(() => ({ live: true })),
    ServerReady: unary(() => ({ ready: ctx.ready() })),
    ModelReady: unary((request: ModelNameRequest) => {
      requireName('name', request.name);
      const version = requestedVersion(request.name, 'version', request.version);
      const model = ctx.models.get(request.name);
      if (!model || !ctx.ready()) return { ready: false };
      return { ready: version === null ? !!(model.production || model.canary) : !!ctx.models.version(model, version) };
    }, true),
    ServerMetadata: unary(() => ({ name: 'driftloop', version: '0.1.0', extensions: [CLASSIFICATION_EXTENSION] })),
    ModelMetadata: unary((request: ModelNameRequest): ModelMetadataResponse => {
      requireName('name', request.name);
      const { name, versions, platform, inputs, outputs } = modelMetadata(
        modelOr404(ctx, request.name),
        request.version || null, // "": every served version
      );
      return { name, versions, platform, inputs, outputs };
    }, true),
    ModelInfer: unary(modelInfer, true),
  };
}

function authorizationOf(call: { metadata: { get(key: string): unknown[] } }): string | undefined {
  const value = call.metadata.get('authorization')[0];
  return typeof value === 'string' ? value : undefined;
}

function toServiceError(ctx: ServingContext, err: Error): Partial<ServiceError> {
  if (err instanceof InputError) return serviceError(grpcCodeFor(err.status), err.message);
  ctx.logger.error({ err: err.message, stack: err.stack }, 'gRPC call failed');
  // The cause stays in the log: a response never carries PostgreSQL's (or any internal) error text.
  return serviceError(GrpcStatus.INTERNAL, 'internal error; the server log has the cause');
}
