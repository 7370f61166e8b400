/**
 * The layering is enforced, and says what the README says: the folder table's "may import" column
 * equals LAYERS in eslint.config.js, and the lint rules built from it refuse what they should.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

interface Layer {
  imports: string[];
  types?: string[];
  pg?: boolean;
  sql?: boolean;
}

async function layers(): Promise<Record<string, Layer>> {
  const configPath: string = join(root, 'eslint.config.js');
  return ((await import(configPath)) as { LAYERS: Record<string, Layer> }).LAYERS;
}

/** The README folder table as {folder: {imports, types, pg}}; subfolder rows ("as `serving/`") are left out. */
function readmeTable(): Record<string, { imports: string[]; types: string[]; pg: boolean }> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('| folder | what lives there | may import |');
  expect(start, 'README has the folder table with its "may import" column').toBeGreaterThan(0);
  const rows = readme.slice(start).split('\n').slice(2);
  const table: Record<string, { imports: string[]; types: string[]; pg: boolean }> = {};
  const above: string[] = [];
  for (const row of rows) {
    if (!row.startsWith('|')) break;
    const cells = row.split(' | ').map((c) => c.replace(/^\|\s*|\s*\|$/g, '').trim());
    const folder = /^`([a-z]+)\/`$/.exec(cells[0])?.[1];
    if (!folder) continue;
    const allowed = cells[cells.length - 1];
    const [valuePart, typePart] = allowed.startsWith('types:') ? ['', allowed] : allowed.split('; types:');
    const names = (text: string | undefined) => [...(text ?? '').matchAll(/`([a-z]+)`/g)].map((m) => m[1]);
    const but = /but `([a-z]+)`/.exec(valuePart)?.[1];
    let imports = names(valuePart.replace(/but `[a-z]+`/, ''));
    if (valuePart.includes('every folder above')) imports = [...above.filter((f) => f !== but), ...imports];
    const pg = imports.includes('pg');
    table[folder] = {
      imports: imports.filter((f) => f !== 'pg' && f !== folder).sort(),
      types: names(typePart).sort(),
      pg,
    };
    above.push(folder);
  }
  return table;
}

describe('the layering', () => {
  it('is the same in the README folder table and in eslint.config.js', async () => {
    const fromLint = await layers();
    const fromReadme = readmeTable();
    expect(Object.keys(fromReadme).sort()).toEqual(Object.keys(fromLint).sort());
    for (const [folder, layer] of Object.entries(fromLint)) {
      expect({ folder, ...fromReadme[folder] }).toEqual({
        folder,
        imports: [...layer.imports].sort(),
        types: [...(layer.types ?? [])].sort(),
        pg: layer.pg === true,
      });
    }
  });

  it('lint refuses an import, the driver or SQL where the table does not allow them', async () => {
    const eslint = new ESLint({ cwd: root });
    async function problems(file: string, code: string): Promise<string[]> {
      const [result] = await eslint.lintText(code, { filePath: join(root, file) });
      return result.messages.filter((m) => m.ruleId?.startsWith('layers/')).map((m) => m.ruleId!);
    }
    const value = (from: string) => `import { x } from '${from}';\nexport const y = x;\n`;
    const typeOnly = (from: string) => `import type { X } from '${from}';\nexport type Y = X;\n`;

    expect(await problems('training/probe.ts', value('../store/models'))).toEqual(['layers/allowed-imports']);
    expect(await problems('training/probe.ts', value('../stats/index'))).toEqual([]);
    expect(await problems('registration/probe.ts', value('../store/models'))).toEqual([]);
    expect(await problems('bench/probe.ts', value('../test/support/db'))).toEqual(['layers/allowed-imports']);
    expect(await problems('bench/probe.ts', value('../testing/onnxModels'))).toEqual([]);
    // Subfolders resolve to their top folder: serving/routes may reach store/, not activities/.
    expect(await problems('serving/routes/probe.ts', value('../../store/db'))).toEqual([]);
    expect(await problems('serving/routes/probe.ts', value('../../activities/retrain'))).toEqual([
      'layers/allowed-imports',
    ]);
    // Workflows: activities as types only.
    expect(await problems('workflows/probe.ts', typeOnly('../activities/index'))).toEqual([]);
    expect(await problems('workflows/probe.ts', value('../activities/index'))).toEqual(['layers/allowed-imports']);
    // The driver: store/ only (and the tests).
    expect(await problems('store/probe.ts', value('pg'))).toEqual([]);
    expect(await problems('serving/probe.ts', value('pg'))).toEqual(['layers/allowed-imports']);
    expect(await problems('cli/probe.ts', value('pg-copy-streams'))).toEqual(['layers/allowed-imports']);
    // SQL: store/ and dashboards/ only.
    const sql = 'export const q = `SELECT version FROM model_versions WHERE model = $1`;\n';
    expect(await problems('activities/probe.ts', sql)).toEqual(['layers/no-sql']);
    expect(await problems('cli/demo/probe.ts', "export const q = 'DELETE FROM labels';\n")).toEqual(['layers/no-sql']);
    expect(await problems('store/probe.ts', sql)).toEqual([]);
    expect(await problems('dashboards/probe.ts', sql)).toEqual([]);
    // Prose that starts like SQL is not SQL.
    expect(await problems('serving/probe.ts', 'export const m = `COPY into ${"t"} took too long`;\n')).toEqual([]);
  });
});
