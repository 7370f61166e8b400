/** Reads the gzipped NannyML fixtures written by scripts/fixtures/nannyml_fixtures.py. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export interface PeerChunkMetric {
  estimated: number;
  realized: number;
  lower: number;
  upper: number;
}

export type PeerChunk = { start: number; end: number } & Record<string, PeerChunkMetric>;

export interface BinaryFixture {
  chunkSize: number;
  reference: { score: number[]; predicted: number[]; label: number[] };
  analysis: { score: number[]; predicted: number[]; label: number[] };
  chunks: PeerChunk[];
}

export interface MulticlassFixture {
  chunkSize: number;
  classes: string[];
  reference: { scores: number[][]; predicted: number[]; label: number[] };
  analysis: { scores: number[][]; predicted: number[]; label: number[] };
  chunks: PeerChunk[];
}

export interface RegressionSide {
  numerical: Record<string, (number | null)[]>;
  categorical: Record<string, (string | null)[]>;
  predicted: (number | null)[];
  label: (number | null)[];
}

export interface RegressionFixture {
  chunkSize: number;
  reference: RegressionSide;
  analysis: RegressionSide;
  chunks: PeerChunk[];
}

export function loadNannymlFixture<T>(name: 'binary' | 'multiclass' | 'regression'): T {
  const path = fileURLToPath(new URL(`../fixtures/stats/nannyml_${name}.json.gz`, import.meta.url));
  return JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as T;
}

/** null (missing in the fixture) becomes NaN. */
export const toFloat = (values: (number | null)[]) => Float64Array.from(values, (v) => (v === null ? NaN : v));
