/**
 * Batch prediction: scores a CSV file or a PostgreSQL query in chunks with a model's production (or a
 * named) version, appends the results to an output CSV and logs every row to `predictions` with
 * stage 'batch', so batch traffic is monitored too. Resumable: after each chunk the caller gets a
 * checkpoint {offset, outputBytes, lastRowDigest}; passing it back resumes there, after checking
 * that the source's row at offset − 1 is still the one scored there (a query without an ORDER BY
 * on a unique key may return rows in another order next time: that resume is refused, not
 * silently mis-numbered). A query is read through a server-side cursor (store/queryCursor.ts).
 * Row ids are derived from (jobId, row number) and the log write skips ids already present, so a
 * chunk scored twice is logged once.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile, truncate, writeFile } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import type { FeatureSpec } from '../config/model';
import { OnnxModel, type FeatureRow, type PredictionBatch } from '../onnx/model';
import type { Db } from '../store/db';
import { getModel, getModelOnnx, getVersionInStage, NotFoundError } from '../store/models';
import { copyPredictionsOnce, type PredictionRow } from '../store/predictions';
import { openQueryCursor } from '../store/queryCursor';
import { outputsOf } from './scoring';
import { assertStorable } from './storableText';

export type BatchSource = { kind: 'csv'; path: string } | { kind: 'query'; sql: string; params?: unknown[] };

export interface BatchProgress {
  /** Rows scored so far (the offset a resume starts from). */
  offset: number;
  /** Bytes of the output CSV written so far (a resume truncates to this). */
  outputBytes: number;
  /** sha256 of the last scored source row: a resume checks the source still has it there. */
  lastRowDigest?: string;
}

export interface BatchScoreOptions {
  db: Db;
  model: string;
  /** Default: the production version. */
  version?: number;
  source: BatchSource;
  /** Output CSV: the input columns plus prediction_id, prediction, score and one probability column per class. */
  output?: string;
  /** Identifies the job: row ids derive from it (default: a random one). */
  jobId?: string;
  /** The `ts` logged for every row of the job (epoch ms; default now). */
  asOf?: number;
  chunkRows?: number;
  /** Log to `predictions` (default true). */
  log?: boolean;
  resumeFrom?: BatchProgress;
  onProgress?(progress: BatchProgress & { rowsThisRun: number }): void | Promise<void>;
  signal?: AbortSignal;
}

export interface BatchScoreResult {
  jobId: string;
  model: string;
  version: number;
  /** Rows in the source (= final offset). */
  rows: number;
  /** Rows scored by this call (less than rows after a resume). */
  rowsThisRun: number;
  /** Rows newly written to predictions by this call. */
  logged: number;
  resumedFrom: number;
}

/** A UUID (version 8, RFC 9562) derived from the job and the row number: a re-scored row keeps its id. */
export function batchRowId(jobId: string, row: number): string {
  const h = createHash('sha256').update(`${jobId}:${row}`).digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Converts one source record to a feature row; errors name the row, the column and what was expected. */
function featureRow(
  model: string,
  features: readonly FeatureSpec[],
  record: Record<string, unknown>,
  row: number,
): FeatureRow {
  const out: FeatureRow = {};
  for (const f of features) {
    const v = record[f.name];
    if (v === undefined) {
      throw new Error(
        `model ${model}: row ${row + 1} has no column "${f.name}"; the input needs one column per feature`,
      );
    }
    if (v === null || v === '') out[f.name] = null;
    else if (f.type === 'numerical') {
      const n = typeof v === 'number' ? v : Number(v);
      if (Number.isNaN(n)) {
        throw new Error(
          `model ${model}: row ${row + 1}, column "${f.name}" is ${JSON.stringify(v)}; expected a number (or empty when missing)`,
        );
      }
      out[f.name] = n;
    } else {
      out[f.name] = String(v);
      assertStorable(out[f.name] as string, `model ${model}: row ${row + 1}, column "${f.name}"`);
    }
  }
  return out;
}

async function* csvChunks(path: string, chunkRows: number, skip: number): AsyncGenerator<Record<string, unknown>[]> {
  const parser = createReadStream(path).pipe(parse({ columns: true, skip_empty_lines: true, trim: true }));
  let chunk: Record<string, unknown>[] = [];
  let seen = 0;
  for await (const record of parser as AsyncIterable<Record<string, unknown>>) {
    if (seen++ < skip) continue;
    chunk.push(record);
    if (chunk.length >= chunkRows) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}

/** Reads a query through a server-side cursor, skipping `skip` rows on the server. */
async function* queryChunks(db: Db, sql: string, params: unknown[], chunkRows: number, skip: number) {
  const cursor = await openQueryCursor(db, sql, params);
  try {
    await cursor.skip(skip);
    for (;;) {
      const rows = await cursor.fetch(chunkRows);
      if (rows.length) yield rows;
      if (rows.length < chunkRows) return;
    }
  } finally {
    await cursor.close();
  }
}

/** A source row's fingerprint: the same row read again (same columns, same values) has the same one. */
export function sourceRowDigest(record: Record<string, unknown>): string {
  return createHash('sha256')
    .update(JSON.stringify(Object.entries(record)))
    .digest('hex');
}

function outputRecords(batch: PredictionBatch, records: Record<string, unknown>[], ids: string[]) {
  return records.map((r, i) => {
    const out: Record<string, unknown> = { ...r, prediction_id: ids[i] };
    out.prediction = batch.labels ? batch.labels[i] : batch.scores[i];
    out.score = batch.scores[i];
    if (batch.classes && batch.probabilities) {
      const c = batch.classes.length;
      for (let k = 0; k < c; k++) out[`probability_${batch.classes[k]}`] = batch.probabilities[i * c + k];
    }
    return out;
  });
}

export async function scoreBatch(options: BatchScoreOptions): Promise<BatchScoreResult> {
  const { db, model: name, source } = options;
  const chunkRows = options.chunkRows ?? 5_000;
  const jobId = options.jobId ?? `batch-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const asOf = options.asOf ?? Date.now();
  const record = await getModel(db, name);
  let version = options.version;
  if (version === undefined) {
    const production = await getVersionInStage(db, name, 'production');
    if (!production) throw new NotFoundError(`model ${name} has no production version; pass a version to score with`);
    version = production.version;
  }
  const onnx = await OnnxModel.load(await getModelOnnx(db, name, version), {
    name,
    task: record.task,
    features: record.features,
    target: record.target,
  });
  const resumedFrom = options.resumeFrom?.offset ?? 0;
  let offset = resumedFrom;
  let outputBytes = options.resumeFrom?.outputBytes ?? 0;
  let logged = 0;
  let header = resumedFrom === 0;
  try {
    if (options.output) {
      // A resume drops what was written after the last reported progress, then appends.
      if (resumedFrom > 0) await truncate(options.output, outputBytes);
      else await writeFile(options.output, '');
    }
    // A resume with a digest re-reads the last scored row to check the source kept its order.
    const anchor = resumedFrom > 0 && options.resumeFrom?.lastRowDigest ? 1 : 0;
    const chunks =
      source.kind === 'csv'
        ? csvChunks(source.path, chunkRows, resumedFrom - anchor)
        : queryChunks(db, source.sql, source.params ?? [], chunkRows, resumedFrom - anchor);
    let lastRowDigest = options.resumeFrom?.lastRowDigest;
    let checkAnchor = anchor === 1;
    for await (const chunk of chunks) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('batch scoring cancelled');
      let records = chunk;
      if (checkAnchor) {
        checkAnchor = false;
        if (sourceRowDigest(records[0]) !== lastRowDigest) {
          throw new Error(
            `batch job ${jobId}: row ${resumedFrom} of the source is not the row scored there before the resume; ` +
              `the source changed or a query returned its rows in another order: give the query an ORDER BY on a unique key, ` +
              `or start a new job`,
          );
        }
        records = records.slice(1);
        if (records.length === 0) continue;
      }
      const rows = records.map((r, i) => featureRow(name, record.features, r, offset + i));
      const batch = await onnx.predict(rows);
      const ids = rows.map((_, i) => batchRowId(jobId, offset + i));
      if (options.log !== false) {
        const logRows: PredictionRow[] = rows.map((features, i) => ({
          id: ids[i],
          model: name,
          version: version!,
          stage: 'batch',
          ts: asOf,
          features,
          outputs: outputsOf(batch, i),
          score: batch.scores[i],
          label: batch.labels ? batch.labels[i] : null,
          latencyMs: null,
        }));
        logged += await copyPredictionsOnce(db, logRows);
      }
      if (options.output) {
        const text = stringify(outputRecords(batch, records, ids), { header });
        header = false;
        await appendFile(options.output, text);
        outputBytes += Buffer.byteLength(text);
      }
      offset += rows.length;
      lastRowDigest = sourceRowDigest(records[records.length - 1]);
      await options.onProgress?.({ offset, outputBytes, lastRowDigest, rowsThisRun: offset - resumedFrom });
    }
    if (checkAnchor) {
      throw new Error(
        `batch job ${jobId}: the source has fewer than ${resumedFrom} rows now, but ${resumedFrom} were scored before the resume: start a new job`,
      );
    }
  } finally {
    await onnx.release();
  }
  return { jobId, model: name, version, rows: offset, rowsThisRun: offset - resumedFrom, logged, resumedFrom };
}

/** `driftloop predict --model NAME --input FILE.csv [--output FILE.csv]`: scoreBatch over a CSV file. */
export function scoreCsv(options: Omit<BatchScoreOptions, 'source'> & { input: string }): Promise<BatchScoreResult> {
  const { input, ...rest } = options;
  return scoreBatch({ ...rest, source: { kind: 'csv', path: input } });
}
