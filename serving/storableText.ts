/**
 * Text PostgreSQL cannot store or the monitor cannot read back: a NUL character (text columns refuse
 * it; jsonb refuses its \u0000 escape) and a lone UTF-16 surrogate (jsonb refuses its escape). Such
 * values are refused at the border with a 400 that names the field, so one request can never poison
 * the prediction log or the windows read from it.
 */
import type { FeatureSpec } from '../config/model';
import type { FeatureRow } from '../onnx/model';
import { InputError } from './featureInput';

// eslint-disable-next-line no-control-regex
const SUSPECT = /[\u0000\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be stored, or null when it can. Cheap on ordinary text: one regex test. */
export function unstorableReason(text: string): string | null {
  if (!SUSPECT.test(text)) return null;
  if (text.includes('\u0000')) return 'holds a NUL character (\\u0000), which PostgreSQL cannot store';
  if (LONE_SURROGATE.test(text)) {
    return 'holds a lone UTF-16 surrogate (e.g. \\ud800), which is not valid Unicode';
  }
  return null;
}

/** Throws a 400 naming `field` when `text` cannot be stored. */
export function assertStorable(text: string, field: string): void {
  const reason = unstorableReason(text);
  if (reason) throw new InputError(`${field} ${reason}; remove or replace that character`);
}

/** Checks every categorical value of the rows a request is about to score and log. */
export function assertStorableRows(model: string, features: readonly FeatureSpec[], rows: readonly FeatureRow[]): void {
  for (const f of features) {
    if (f.type !== 'categorical') continue;
    for (let i = 0; i < rows.length; i++) {
      const v = rows[i][f.name];
      if (typeof v === 'string' && SUSPECT.test(v)) {
        assertStorable(v, `model ${model}: row ${i}, feature "${f.name}":`);
      }
    }
  }
}
