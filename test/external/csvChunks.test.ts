/** CSV chunks continue the previous chunk's parser; every other offset reads the same rows as from the top. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRecords } from '../../serving/fileIngest';

const dir = mkdtempSync(join(tmpdir(), 'dl-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rowsFile(name: string, n: number, tag: string): string {
  const path = join(dir, name);
  const lines = ['\ufeffid,note'];
  // Quoted fields with line breaks and blank lines: a row is not a line.
  for (let i = 0; i < n; i++) lines.push(i % 5 === 0 ? `${tag}${i},"two\r\nlines, ${i}"` : `${tag}${i},plain ${i}`);
  lines.splice(7, 0, '');
  writeFileSync(path, lines.join('\r\n') + '\r\n');
  return path;
}

const ids = (rows: Record<string, unknown>[]) => rows.map((r) => r.id);
const expected = (tag: string, from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from) }, (_, k) => `${tag}${from + k}`);

describe('CSV rows by offset', () => {
  it('reads consecutive chunks, a repeated chunk, a jump and the end the same as from the top', async () => {
    const path = rowsFile('a.csv', 95, 'a');
    const got: unknown[] = [];
    for (let offset = 0; offset < 95; offset += 20) got.push(...ids(await readRecords(path, offset, 20)));
    expect(got).toEqual(expected('a', 0, 95));
    // A retried chunk (an activity attempt that failed after reading) and a jump ahead.
    expect(ids(await readRecords(path, 20, 20))).toEqual(expected('a', 20, 40));
    expect(ids(await readRecords(path, 20, 20))).toEqual(expected('a', 20, 40));
    expect(ids(await readRecords(path, 70, 10))).toEqual(expected('a', 70, 80));
    expect(ids(await readRecords(path, 80, 50))).toEqual(expected('a', 80, 95));
    expect(await readRecords(path, 95, 10)).toEqual([]);
    const first = await readRecords(path, 0, 1);
    expect(first[0]).toEqual({ id: 'a0', note: 'two\r\nlines, 0' });
  });

  it('a file rewritten between chunks is read afresh, not from the old parser', async () => {
    const path = rowsFile('b.csv', 40, 'old');
    expect(ids(await readRecords(path, 0, 10))).toEqual(expected('old', 0, 10));
    rowsFile('b.csv', 60, 'new');
    expect(ids(await readRecords(path, 10, 10))).toEqual(expected('new', 10, 20));
  });
});
