/**
 * POST /v1/models/:name/labels with [{id, label}]: late ground truth for predictions already served.
 * Only predictions this model logged are labeled; the rest are refused and counted in the response
 * (ids never served, ids of another model, null labels, an id repeated in the post: the last wins).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ServingContext } from '../context';
import { modelsOfPredictions, upsertLabels } from '../../store/predictions';
import { InputError } from '../featureInput';
import { assertStorable } from '../storableText';
import { requireToken } from './auth';

interface LabelBody {
  id: string;
  label: string | number | boolean | null;
}

/** Longest label accepted: a class name or a number, with room to spare. */
const MAX_LABEL_CHARS = 1_000;
/** Refused ids named in the response, per reason. */
const NAMED_IDS = 20;
const DAY_MS = 86_400_000;

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
        // Checked in the handler: a typed schema would coerce null to "" (fastify's ajv coerces types).
        label: {},
      },
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        model: { type: 'string' },
        labeled: { type: 'integer' },
        refused: {
          type: 'object',
          properties: {
            duplicate_id: { type: 'integer' },
            null_label: { type: 'integer' },
            never_served: { type: 'integer' },
            other_model: { type: 'integer' },
          },
        },
        refused_ids: {
          type: 'object',
          properties: {
            never_served: { type: 'array', items: { type: 'string' } },
            other_model: { type: 'array', items: { type: 'string' } },
          },
        },
      },
    },
  },
} as const;

/** The millisecond time a UUID v7 carries, or null for another version (batch ids are v8). */
function v7Time(id: string): number | null {
  return id[14] === '7' ? parseInt(id.slice(0, 8) + id.slice(9, 13), 16) : null;
}

export const labelRoutes: FastifyPluginAsync<{ ctx: ServingContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', requireToken(ctx));
  app.post<{ Params: { name: string }; Body: LabelBody[] }>(
    '/v1/models/:name/labels',
    { schema: labelsSchema },
    async (request) => {
      const { name } = request.params;
      const latest = new Map<string, string>();
      let duplicates = 0;
      let nulls = 0;
      request.body.forEach((l, i) => {
        const id = l.id.toLowerCase();
        if (latest.has(id)) duplicates++;
        if (l.label === null) {
          nulls++;
          latest.delete(id);
          return;
        }
        if (!['string', 'number', 'boolean'].includes(typeof l.label)) {
          throw new InputError(
            `labels[${i}].label is ${Array.isArray(l.label) ? 'an array' : typeof l.label}; expected a string, number or boolean (null: no label)`,
          );
        }
        const label = String(l.label);
        if (label.length > MAX_LABEL_CHARS) {
          throw new InputError(
            `labels[${i}].label has ${label.length} characters; at most ${MAX_LABEL_CHARS} (a class name or a target value)`,
          );
        }
        assertStorable(label, `labels[${i}].label`);
        latest.delete(id); // re-inserted last: the last label of an id wins
        latest.set(id, label);
      });

      const ids = [...latest.keys()];
      // A loop, not Math.min(...ids): 100,000 arguments overflow the stack.
      let earliest = Infinity;
      let latestTime = -Infinity;
      for (const id of ids) {
        const t = v7Time(id) ?? NaN;
        earliest = Math.min(earliest, t);
        latestTime = Math.max(latestTime, t);
      }
      const between = Number.isFinite(earliest)
        ? { from: new Date(earliest - DAY_MS), to: new Date(latestTime + DAY_MS) }
        : undefined;
      const owners = await modelsOfPredictions(ctx.db, ids, between);
      if (owners.size < ids.length) {
        // Served moments ago, still in the log buffer on its way to PostgreSQL.
        const wanted = new Set(ids.filter((id) => !owners.has(id)));
        for (const row of ctx.predictionLog.pending()) if (wanted.has(row.id)) owners.set(row.id, row.model);
      }
      const neverServed: string[] = [];
      const otherModel: string[] = [];
      const accepted: Array<{ id: string; label: string }> = [];
      for (const [id, label] of latest) {
        const owner = owners.get(id);
        if (owner === undefined) neverServed.push(id);
        else if (owner !== name) otherModel.push(id);
        else accepted.push({ id, label });
      }
      const labeled = await upsertLabels(ctx.db, name, accepted);
      return {
        model: name,
        labeled,
        refused: {
          duplicate_id: duplicates,
          null_label: nulls,
          never_served: neverServed.length,
          other_model: otherModel.length,
        },
        refused_ids: { never_served: neverServed.slice(0, NAMED_IDS), other_model: otherModel.slice(0, NAMED_IDS) },
      };
    },
  );
};
