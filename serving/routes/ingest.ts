/**
 * Traffic served elsewhere: POST /v1/models/:name/predictions with rows `{id?, ts?, features,
 * outputs, version?}` logged by another server, and POST /v1/models/:name/predictions/labels with
 * `[{id, label}]` keyed by that server's own ids (late, in bulk, before or after their rows).
 */
import type { FastifyPluginAsync } from 'fastify';
import { keyedPredictionId } from '../../store/ingest';
import { upsertLabels } from '../../store/predictions';
import type { ServingContext } from '../context';
import { externalPredictionRows, type ExternalRow } from '../externalRows';
import { InputError } from '../featureInput';
import { ingestModel, pushAll, stagesOf } from '../ingestLog';
import { assertStorable } from '../storableText';
import { requireToken } from './auth';

const params = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } as const;

const rowsSchema = {
  params,
  body: {
    type: 'array',
    minItems: 1,
    items: {
      type: 'object',
      required: ['features', 'outputs'],
      additionalProperties: false,
      properties: {
        id: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
        ts: { anyOf: [{ type: 'number' }, { type: 'string' }] },
        features: { type: 'object' },
        outputs: {},
        version: { type: 'integer', minimum: 1 },
      },
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        model: { type: 'string' },
        accepted: { type: 'integer' },
        versions: { type: 'object', additionalProperties: { type: 'integer' } },
      },
    },
  },
} as const;

/** The same bound as the labels of driftloop's own predictions. */
const MAX_LABEL_CHARS = 1_000;

const labelsSchema = {
  params,
  body: {
    type: 'array',
    minItems: 1,
    maxItems: 100_000,
    items: {
      type: 'object',
      required: ['id', 'label'],
      additionalProperties: false,
      properties: {
        id: { anyOf: [{ type: 'string', minLength: 1, maxLength: 256 }, { type: 'integer' }] },
        label: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
      },
    },
  },
  response: { 200: { type: 'object', properties: { model: { type: 'string' }, labeled: { type: 'integer' } } } },
} as const;

export const ingestRoutes: FastifyPluginAsync<{ ctx: ServingContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', requireToken(ctx));

  app.post<{ Params: { name: string }; Body: ExternalRow[] }>(
    '/v1/models/:name/predictions',
    { schema: rowsSchema },
    async (request) => {
      const { name } = request.params;
      const body = request.body;
      if (body.length > ctx.maxInstances) {
        throw new InputError(
          `model ${name}: ${body.length} rows in one request; at most ${ctx.maxInstances} (split the request)`,
          413,
        );
      }
      const model = await ingestModel(ctx, name);
      const rows = externalPredictionRows(model, body, await stagesOf(ctx, name));
      pushAll(ctx, rows);
      const versions: Record<string, number> = {};
      for (const r of rows) versions[r.version] = (versions[r.version] ?? 0) + 1;
      return { model: name, accepted: rows.length, versions };
    },
  );

  app.post<{ Params: { name: string }; Body: Array<{ id: string | number; label: string | number | boolean }> }>(
    '/v1/models/:name/predictions/labels',
    { schema: labelsSchema },
    async (request) => {
      const { name } = request.params;
      await ingestModel(ctx, name);
      const labels = request.body.map((l, i) => {
        const id = String(l.id);
        const label = String(l.label);
        // As on /v1/models/:name/labels: text PostgreSQL cannot store is refused, naming the entry.
        assertStorable(id, `labels[${i}].id`);
        assertStorable(label, `labels[${i}].label`);
        if (label.length > MAX_LABEL_CHARS) {
          throw new InputError(`labels[${i}].label has ${label.length} characters; at most ${MAX_LABEL_CHARS}`);
        }
        return { id: keyedPredictionId(name, id), label };
      });
      const labeled = await upsertLabels(ctx.db, name, labels);
      return { model: name, labeled };
    },
  );
};
