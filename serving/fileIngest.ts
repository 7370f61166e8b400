/**
 * Bulk import of predictions made elsewhere (a warehouse's batch scoring) from CSV or Parquet, and of
 * their labels. Columns: `id` (the join key for labels), `ts`, `version`, one per feature by name, and
 * the outputs: `prediction` (class label, or the value for regression) and/or `probability_<class>`.
 * Chunks go through the same validation as the ingest endpoint and are written in one transaction
 * each, keyed (by `id`, or by file and row number when there is none), so a resumed or repeated import
 * writes every row once. Parquet is read with hyparquet (row ranges without reading the whole file).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parse } from 'csv-parse';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import type { Db } from '../store/db';
import { keyedPredictionId, versionStages } from '../store/ingest';
import { getModel } from '../store/models';
import { copyPredictions, upsertLabels } from '../store/predictions';
import { externalPredictionRows, type ExternalRow, type IngestModel, type VersionStages } from './externalRows';
import { InputError } from './featureInput';

export type FileFormat = 'csv' | 'parquet';

export function formatOf(path: string): FileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  throw new InputError(`${path}: unknown file type ${ext || '(none)'}; use .csv or .parquet`);
}

/** Rows in the file (Parquet: from the footer; CSV: lines after the header, counted without parsing). */
export async function countFileRows(path: string): Promise<number> {
  if (formatOf(path) === 'parquet') {
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(path));
    return Number(meta.num_rows);
  }
  return countCsvRows(path);
}

/** Data rows in a CSV file (lines after the header), counted without parsing. */
export async function countCsvRows(path: string): Promise<number> {
  let lines = 0;
  let last = 10;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
    last = chunk[chunk.length - 1];
  }
  return Math.max(0, lines - 1 + (last === 10 ? 0 : 1));
}

type Record_ = Record<string, unknown>;

/** Reads rows [offset, offset + limit) as objects; CSV values stay strings. */
export async function readRecords(path: string, offset: number, limit: number): Promise<Record_[]> {
  if (formatOf(path) === 'parquet') {
    const file = await asyncBufferFromFile(path);
    return (await parquetReadObjects({ file, rowStart: offset, rowEnd: offset + limit })) as Record_[];
  }
  return readCsvRecords(path, offset, limit);
}

/**
 * A CSV file has no row index: reading rows [offset, offset + limit) from the top each time makes an
 * import of n rows in chunks O(n²). The parser of the previous chunk is kept open (per file, size and
 * mtime, for a minute) and the next chunk continues it; any other offset (a retry, another worker
 * after a crash) parses from the top once and goes on from there.
 */
interface OpenCsv {
  identity: string;
  next: number;
  rows: AsyncIterator<Record_>;
  close: () => void;
  timer: NodeJS.Timeout;
}
const openCsvFiles = new Map<string, OpenCsv>();
const CSV_IDLE_MS = 60_000;

async function readCsvRecords(path: string, offset: number, limit: number): Promise<Record_[]> {
  const s = await stat(path);
  const identity = `${s.size}:${s.mtimeMs}`;
  let open = openCsvFiles.get(path);
  openCsvFiles.delete(path);
  if (open) clearTimeout(open.timer);
  if (open && (open.identity !== identity || open.next !== offset)) {
    open.close();
    open = undefined;
  }
  if (!open) {
    const stream = createReadStream(path);
    const parser = stream.pipe(parse({ columns: true, from: offset + 1, skip_empty_lines: true, bom: true }));
    open = {
      identity,
      next: offset,
      rows: parser[Symbol.asyncIterator]() as AsyncIterator<Record_>,
      close: () => {
        parser.destroy();
        stream.destroy();
      },
      timer: undefined as unknown as NodeJS.Timeout,
    };
  }
  const out: Record_[] = [];
  try {
    while (out.length < limit) {
      const r = await open.rows.next();
      if (r.done) break;
      out.push(r.value);
    }
  } catch (err) {
    open.close();
    throw err;
  }
  if (out.length < limit) {
    open.close();
    return out;
  }
  open.next = offset + out.length;
  const kept = open;
  kept.timer = setTimeout(() => {
    if (openCsvFiles.get(path) === kept) openCsvFiles.delete(path);
    kept.close();
  }, CSV_IDLE_MS).unref();
  openCsvFiles.set(path, kept);
  return out;
}

function numberOf(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  const n = Number(v);
  return Number.isFinite(n) ? n : NaN;
}

function toExternalRow(model: IngestModel, r: Record_, rowNumber: number, fileKey: string, path: string): ExternalRow {
  const features: Record<string, unknown> = {};
  for (const f of model.features) {
    if (!(f.name in r)) {
      throw new InputError(
        `${path}: no column "${f.name}" (feature of model ${model.name}); columns are ${Object.keys(r).join(', ')}`,
      );
    }
    const v = r[f.name];
    if (f.type === 'numerical') {
      const n = numberOf(v);
      if (Number.isNaN(n)) {
        throw new InputError(
          `${path}: row ${rowNumber} column ${f.name} is ${JSON.stringify(v)}; expected a number (numerical feature)`,
        );
      }
      features[f.name] = n;
    } else {
      features[f.name] = v === null || v === undefined || v === '' ? null : String(v);
    }
  }
  let outputs: unknown;
  if (model.task === 'regression') {
    outputs = { value: numberOf(r.prediction ?? r.value) };
  } else {
    const classes = model.target.classes ?? [];
    const probs = classes.map((c) => numberOf(r[`probability_${c}`]));
    const label = r.prediction ?? r.label;
    outputs = {
      ...(label === null || label === undefined || label === '' ? {} : { label: String(label) }),
      ...(probs.every((p) => p !== null) ? { probabilities: probs } : {}),
    };
  }
  const id = r.id === null || r.id === undefined || r.id === '' ? `${fileKey}#${rowNumber}` : String(r.id);
  const ts =
    r.ts instanceof Date
      ? r.ts.getTime()
      : r.ts === null || r.ts === undefined || r.ts === ''
        ? undefined
        : typeof r.ts === 'bigint'
          ? Number(r.ts)
          : (r.ts as string | number);
  const version = numberOf(r.version);
  return {
    id,
    ts: typeof ts === 'string' && /^\d+$/.test(ts) ? Number(ts) : ts,
    features,
    outputs,
    ...(version === null || Number.isNaN(version) ? {} : { version }),
  };
}

/** A stable key for rows of a file without an id column: its name, size and modification time. */
export async function fileKeyOf(path: string): Promise<string> {
  const s = await stat(path);
  return `${basename(path)}:${s.size}:${Math.floor(s.mtimeMs)}`;
}

export interface IngestChunkResult {
  /** Rows read and written (a repeated chunk writes none twice: keys already stored are skipped). */
  rows: number;
}

async function stagesFor(db: Db, model: string): Promise<VersionStages> {
  const stages = await versionStages(db, model);
  let production: number | null = null;
  let canary: number | null = null;
  for (const [v, s] of stages) {
    if (s === 'production') production = v;
    if (s === 'canary') canary = v;
  }
  return { production, canary, stageOf: (v) => stages.get(v), known: () => [...stages.keys()].sort((a, b) => a - b) };
}

/** Reads, validates and writes rows [offset, offset + limit) of a predictions file. */
export async function ingestPredictionChunk(
  db: Db,
  modelName: string,
  path: string,
  offset: number,
  limit: number,
  fileKey: string,
): Promise<IngestChunkResult> {
  const model = await getModel(db, modelName);
  const records = await readRecords(path, offset, limit);
  if (records.length === 0) return { rows: 0 };
  const external = records.map((r, i) => toExternalRow(model, r, offset + i + 1, fileKey, path));
  let rows;
  try {
    rows = externalPredictionRows(model, external, await stagesFor(db, modelName), 'row');
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    // rows are numbered from 1 in the file, as a person counts them.
    throw new InputError(
      `${path}: ${err.message.replace(/row\[(\d+)\]/g, (_m, i: string) => `row ${offset + Number(i) + 1}`)}`,
      err.status,
    );
  }
  const client = await db.connect();
  try {
    await copyPredictions(client, rows);
    return { rows: rows.length };
  } finally {
    client.release();
  }
}

/** Reads rows [offset, offset + limit) of a labels file (`id`, `label`) and attaches them by the caller's id. */
export async function ingestLabelChunk(
  db: Db,
  modelName: string,
  path: string,
  offset: number,
  limit: number,
): Promise<IngestChunkResult> {
  const records = await readRecords(path, offset, limit);
  const labels = records.map((r, i) => {
    if (
      r.id === undefined ||
      r.id === null ||
      r.id === '' ||
      r.label === undefined ||
      r.label === null ||
      r.label === ''
    ) {
      throw new InputError(`${path}: row ${offset + i + 1} needs "id" and "label" columns with values`);
    }
    return { id: keyedPredictionId(modelName, String(r.id)), label: String(r.label) };
  });
  await upsertLabels(db, modelName, labels);
  return { rows: records.length };
}
