/** Data-quality findings for one column of a window, from the scans compareColumn made. */
import type { DriftPolicy } from '../policy/driftPolicy';
import type { CategoricalColumnScan, NumericalColumnScan } from './compareColumn';
import type { DataQualityFinding } from './driftReportTypes';

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

function missingRateFinding(
  feature: string,
  missing: number,
  rows: number,
  referenceMissing: number,
  referenceRows: number,
  policy: DriftPolicy,
): DataQualityFinding | null {
  if (rows === 0) return null;
  const rate = missing / rows;
  const referenceRate = referenceRows > 0 ? referenceMissing / referenceRows : 0;
  if (rate - referenceRate < policy.dataQuality.missingRateIncrease || rate === 0) return null;
  return {
    feature,
    kind: 'missing_rate_change',
    severity: 'warning',
    value: rate,
    reference: referenceRate,
    message: `${feature}: ${percent(rate)} missing, ${percent(referenceRate)} in the reference`,
  };
}

export function numericalFindings(
  feature: string,
  scan: NumericalColumnScan,
  policy: DriftPolicy,
): DataQualityFinding[] {
  const findings: DataQualityFinding[] = [];
  const ref = scan.comparison.reference;
  const missing = missingRateFinding(feature, scan.missing, scan.rows, ref.missing, ref.rows, policy);
  if (missing) findings.push(missing);
  if (scan.nonFinite > 0) {
    findings.push({
      feature,
      kind: 'non_finite',
      severity: 'error',
      value: scan.nonFinite / scan.rows,
      reference: ref.rows > 0 ? ref.nonFinite / ref.rows : null,
      message: `${feature}: ${scan.nonFinite} infinite values (excluded from drift tests); the sender produces ±Infinity`,
    });
  }
  const finite = scan.comparison.currentCount;
  if (finite > 0 && scan.outOfRange / finite >= policy.dataQuality.outOfRangeShare && scan.outOfRange > 0) {
    const bySchema = ref.schemaMin !== undefined || ref.schemaMax !== undefined;
    const low = ref.schemaMin ?? ref.min;
    const high = ref.schemaMax ?? ref.max;
    findings.push({
      feature,
      kind: 'out_of_range',
      severity: 'warning',
      value: scan.outOfRange / finite,
      reference: null,
      message: `${feature}: ${percent(scan.outOfRange / finite)} of values outside ${bySchema ? 'the schema range' : 'the reference range'} [${low ?? '-inf'}, ${high ?? 'inf'}]`,
    });
  }
  return findings;
}

export function categoricalFindings(
  feature: string,
  scan: CategoricalColumnScan,
  policy: DriftPolicy,
): DataQualityFinding[] {
  const findings: DataQualityFinding[] = [];
  const ref = scan.comparison.reference;
  const missing = missingRateFinding(feature, scan.missing, scan.rows, ref.missing, ref.rows, policy);
  if (missing) findings.push(missing);
  if (scan.typeErrors > 0) {
    findings.push({
      feature,
      kind: 'type_error',
      severity: 'error',
      value: scan.typeErrors / scan.rows,
      reference: null,
      message: `${feature}: ${scan.typeErrors} values are not strings (excluded); categories must be strings or null`,
    });
  }
  const present = scan.rows - scan.missing - scan.typeErrors;
  if (present > 0 && scan.unseen > 0 && scan.unseen / present >= policy.dataQuality.unseenCategoryShare) {
    findings.push({
      feature,
      kind: 'unseen_categories',
      severity: 'warning',
      value: scan.unseen / present,
      reference: 0,
      message: `${feature}: ${percent(scan.unseen / present)} of values in categories the reference never saw (e.g. ${scan.unseenExamples.join(', ')})`,
      examples: scan.unseenExamples,
    });
  }
  return findings;
}
