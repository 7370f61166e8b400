/**
 * KServe's inference logger endpoint: point an InferenceService's `logger: {url: ...}` at
 * POST /v1/cloudevents (the model is the event's inferenceservicename, or ?model=NAME) or at
 * POST /v1/models/:name/cloudevents. Each half is validated when it arrives; the request and the
 * response of one inference meet by CloudEvent id in PostgreSQL, in either order, and become
 * prediction rows keyed by that id. A request whose response has not come within the pairing window
 * is logged with its features only; a response whose request never came is dropped and logged.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { pairEventHalf, takeStaleHalves, type EventHalf } from '../../store/ingest';
import { pairRows, readInferenceEvent, requestRows, responseOutputs, type InferenceEvent } from '../cloudEvents';
import type { ServingContext } from '../context';
import { externalPredictionRows, type IngestModel, type VersionStages } from '../externalRows';
import { InputError, rowsFromInstances } from '../featureInput';
import { ingestModel, pushAll, stagesOf } from '../ingestLog';
import { requireToken } from './auth';

export interface CloudEventRouteOptions {
  ctx: ServingContext;
  /** How long a half waits for its partner before the sweep resolves it (default 60 s). */
  pairWindowMs?: number;
}

interface StoredHalf {
  data: unknown;
  time: string | null;
  endpoint: string | null;
}

function resolveVersion(
  stages: VersionStages,
  endpoint: string | null,
  modelVersion: string | null,
): number | undefined {
  if (modelVersion !== null && /^[1-9][0-9]*$/.test(modelVersion)) return Number(modelVersion);
  if (endpoint === 'canary' && stages.canary !== null) return stages.canary;
  return undefined;
}

export const cloudEventRoutes: FastifyPluginAsync<CloudEventRouteOptions> = async (app, { ctx, pairWindowMs }) => {
  const windowMs = pairWindowMs ?? 60_000;
  app.addHook('onRequest', requireToken(ctx));
  // KServe forwards the inference request's own Content-Type (often none, or a form type from curl -d):
  // every body is read as text and parsed as JSON here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  async function ingestPair(model: IngestModel, eventId: string, request: StoredHalf, response: StoredHalf | null) {
    const stages = await stagesOf(ctx, model.name);
    const modelVersion = response ? responseOutputs(model, response.data).modelVersion : null;
    const version = resolveVersion(stages, request.endpoint ?? response?.endpoint ?? null, modelVersion);
    const rows = externalPredictionRows(model, pairRows(model, eventId, request, response, version), stages, 'event');
    pushAll(ctx, rows);
    return rows.length;
  }

  async function handle(request: FastifyRequest, name: string | undefined) {
    const event: InferenceEvent = readInferenceEvent(request.headers, request.body);
    const modelName = name ?? (request.query as { model?: string }).model ?? event.inferenceService;
    if (!modelName) {
      throw new InputError(
        'which model? the event has no inferenceservicename extension; post to /v1/models/NAME/cloudevents or add ?model=NAME',
      );
    }
    request.servedBy = { model: modelName, route: 'cloudevents' };
    const model = await ingestModel(ctx, modelName);
    // Validate the half now, so the sender hears about a bad payload on its own event.
    if (event.kind === 'request') rowsFromInstances(model.name, model.features, requestRows(model, event.data));
    else responseOutputs(model, event.data);
    const stored: StoredHalf = { data: event.data, time: event.time, endpoint: event.endpoint };
    const requestOnly = (request.query as { mode?: string }).mode === 'request';
    if (requestOnly && event.kind === 'request') {
      return { model: modelName, id: event.id, accepted: await ingestPair(model, event.id, stored, null) };
    }
    const partner: EventHalf | null = await pairEventHalf(ctx.db, modelName, event.id, {
      kind: event.kind,
      endpoint: event.endpoint,
      body: stored,
    });
    if (!partner) return { model: modelName, id: event.id, waiting: event.kind === 'request' ? 'response' : 'request' };
    const other = partner.body as StoredHalf;
    const [req, res] = event.kind === 'request' ? [stored, other] : [other, stored];
    return { model: modelName, id: event.id, accepted: await ingestPair(model, event.id, req, res) };
  }

  app.post<{ Querystring: { model?: string; mode?: string } }>('/v1/cloudevents', async (request) =>
    handle(request, undefined),
  );
  app.post<{ Params: { name: string }; Querystring: { mode?: string } }>(
    '/v1/models/:name/cloudevents',
    async (request) => handle(request, request.params.name),
  );

  /** Halves whose partner did not come in time: requests become feature-only rows, responses are dropped. */
  async function sweep(): Promise<void> {
    const stale = await takeStaleHalves(ctx.db, windowMs);
    let orphanResponses = 0;
    for (const half of stale) {
      if (half.kind === 'response') {
        orphanResponses++;
        continue;
      }
      try {
        const model = await ingestModel(ctx, half.model);
        await ingestPair(model, half.eventId, half.body as StoredHalf, null);
      } catch (err) {
        ctx.logger.error(
          { model: half.model, event: half.eventId, err: (err as Error).message },
          'cloudevents: a request whose response never came could not be logged',
        );
      }
    }
    if (orphanResponses) {
      ctx.logger.warn(
        { responses: orphanResponses, windowMs },
        `cloudevents: dropped ${orphanResponses} response(s) whose request never came within ${windowMs} ms (no features to monitor)`,
      );
    }
    if (stale.length) ctx.logger.info({ halves: stale.length }, 'cloudevents: resolved unpaired halves');
  }
  let sweeping: Promise<void> | null = null;
  const timer = setInterval(
    () => {
      sweeping ??= sweep()
        .catch((err) =>
          ctx.logger.error({ err: (err as Error).message }, 'cloudevents: sweep of unpaired halves failed'),
        )
        .finally(() => {
          sweeping = null;
        });
    },
    Math.max(200, Math.min(windowMs / 2, 5_000)),
  );
  timer.unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await sweeping;
  });
};
