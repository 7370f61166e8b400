/**
 * The files an external trainer reads: a CSV per data set (one column per feature in schema order,
 * then the label column named after the target; empty field = missing) and a schema JSON beside it.
 * Also reads such a CSV back (driftloop model register --reference).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import type { FeatureRow } from '../onnx/model';
import type { TrainingSet, TrainingSpec } from './trainingSet';

/** What the schema file says; `labelColumn` names the CSV column that holds the label. */
export interface TrainerSchemaFile {
  name?: string;
  task: TrainingSpec['task'];
  features: TrainingSpec['features'];
  target: TrainingSpec['target'];
  labelColumn: string;
}

export function labelColumnOf(spec: TrainingSpec): string {
  const name = spec.target.name;
  if (spec.features.some((f) => f.name === name)) {
    throw new Error(`model ${spec.name ?? ''}: target "${name}" has the name of a feature; rename one of them`);
  }
  return name;
}

export async function writeSchemaFile(path: string, spec: TrainingSpec): Promise<void> {
  const schema: TrainerSchemaFile = {
    name: spec.name,
    task: spec.task,
    features: spec.features,
    target: spec.target,
    labelColumn: labelColumnOf(spec),
  };
  await writeFile(path, JSON.stringify(schema, null, 2));
}

/** Streams a training set to CSV (missing numbers and categories become empty fields). */
export async function writeTrainingCsv(path: string, spec: TrainingSpec, set: TrainingSet): Promise<void> {
  const names = spec.features.map((f) => f.name);
  const numerical = spec.features.map((f) => f.type === 'numerical');
  const out = createWriteStream(path);
  const csv = stringify({ header: true, columns: [...names, labelColumnOf(spec)] });
  csv.pipe(out);
  for (let i = 0; i < set.rows.length; i++) {
    const row = set.rows[i];
    const record: string[] = new Array(names.length + 1);
    for (let j = 0; j < names.length; j++) {
      const v = row[names[j]];
      if (v === null || v === undefined || (numerical[j] && typeof v === 'number' && !Number.isFinite(v))) {
        record[j] = '';
      } else record[j] = String(v);
    }
    record[names.length] = set.labels[i];
    if (!csv.write(record)) await new Promise((resolve) => csv.once('drain', resolve));
  }
  csv.end();
  await finished(out);
}

/**
 * Reads a CSV of features + label into a TrainingSet: numerical columns as numbers (empty → null),
 * categorical as strings (empty → null). The label column is the target's name, else "label".
 */
export async function readTrainingCsv(path: string, spec: TrainingSpec): Promise<TrainingSet> {
  const parser = createReadStream(path).pipe(parse({ columns: true, skip_empty_lines: true }));
  const rows: FeatureRow[] = [];
  const labels: string[] = [];
  let labelColumn: string | null = null;
  let line = 1;
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    line++;
    if (labelColumn === null) {
      const missing = spec.features.filter((f) => !(f.name in record)).map((f) => f.name);
      if (missing.length) {
        throw new Error(`${path}: no column for feature(s) ${missing.join(', ')}; the header must name every feature`);
      }
      labelColumn = spec.target.name in record ? spec.target.name : 'label' in record ? 'label' : null;
      if (labelColumn === null) {
        throw new Error(`${path}: no label column; name it "${spec.target.name}" (the target) or "label"`);
      }
    }
    const row: FeatureRow = {};
    for (const f of spec.features) {
      const v = record[f.name];
      if (f.type === 'categorical') row[f.name] = v === '' ? null : v;
      else {
        const x = v === '' ? null : Number(v);
        if (x !== null && Number.isNaN(x) && v.toLowerCase() !== 'nan') {
          throw new Error(`${path}: line ${line}: feature ${f.name} is numerical but holds "${v}"`);
        }
        row[f.name] = x !== null && Number.isNaN(x) ? null : x;
      }
    }
    rows.push(row);
    labels.push(record[labelColumn]);
  }
  return { rows, labels };
}
