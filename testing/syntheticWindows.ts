/** Seeded synthetic windows for the stats suites and benches. */
import { seededRandom } from '../stats/estimation/seededRandom';
import type { ColumnSchema, DataWindow } from '../stats/types';
import { windowColumn } from '../stats/windowColumn';

export interface SyntheticOptions {
  rows: number;
  numerical: number;
  categorical?: number;
  seed: number;
  /** Mean shift in standard deviations for the named numerical features. */
  shift?: Record<string, number>;
  /** Share of rows of the named categorical features replaced by the category 'new'. */
  newCategory?: Record<string, number>;
}

export const CATEGORIES = ['a', 'b', 'c', 'd', 'e'];
const CATEGORY_WEIGHTS = [0.4, 0.25, 0.15, 0.12, 0.08];

export function syntheticSchema(numerical: number, categorical = 0): ColumnSchema[] {
  const schema: ColumnSchema[] = [];
  for (let j = 0; j < numerical; j++) schema.push({ name: `x${j}`, type: 'numerical' });
  for (let j = 0; j < categorical; j++) schema.push({ name: `c${j}`, type: 'categorical' });
  return schema;
}

/** Independent N(0, 1) numerical features x0..; categorical c0.. over a..e with fixed weights. */
export function syntheticWindow(opts: SyntheticOptions): DataWindow {
  const random = seededRandom(opts.seed);
  const window: DataWindow = { rows: opts.rows, numerical: {}, categorical: {} };
  for (let j = 0; j < opts.numerical; j++) {
    const name = `x${j}`;
    const shift = opts.shift?.[name] ?? 0;
    const values = windowColumn(opts.rows);
    for (let i = 0; i < opts.rows; i++) values[i] = random.normal() + shift;
    window.numerical[name] = values;
  }
  for (let j = 0; j < (opts.categorical ?? 0); j++) {
    const name = `c${j}`;
    const share = opts.newCategory?.[name] ?? 0;
    const values: (string | null)[] = new Array(opts.rows);
    for (let i = 0; i < opts.rows; i++) {
      if (share > 0 && random.next() < share) {
        values[i] = 'new';
        continue;
      }
      let u = random.next();
      let k = 0;
      while (k < CATEGORY_WEIGHTS.length - 1 && u >= CATEGORY_WEIGHTS[k]) u -= CATEGORY_WEIGHTS[k++];
      values[i] = CATEGORIES[k];
    }
    window.categorical[name] = values;
  }
  return window;
}
