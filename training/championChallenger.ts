/**
 * The decisions of a retrain, on plain numbers: is the dataset big enough, does the challenger beat
 * the champion on the holdout, how does it compare live, and which rows describe what the new
 * version will see. activities/retrain.ts reads the inputs, asks here, and writes the answer.
 */

/** Fewest training and holdout rows a champion/challenger comparison is made on. */
export const MIN_HOLDOUT_ROWS = 50;

export interface DatasetSize {
  model: string;
  datasetId: number;
  trainRows: number;
  holdoutRows: number;
  referenceRows: number;
  recentRows: number;
}

/** Why a dataset is too small to compare on, with what would fix it; null when it is big enough. */
export function datasetShortfall(d: DatasetSize, minRows = MIN_HOLDOUT_ROWS): string | null {
  if (d.holdoutRows >= minRows && d.trainRows >= minRows) return null;
  return (
    `model ${d.model}: retrain dataset ${d.datasetId} has ${d.trainRows} training and ${d.holdoutRows} holdout rows ` +
    `(${d.referenceRows} reference, ${d.recentRows} recent labeled); at least ${minRows} of each are needed: ` +
    `wait for labels, widen policy.retrain.recentWindowHours or set includeReference`
  );
}

export interface HoldoutScores {
  metric: string;
  higherIsBetter: boolean;
  /** The challenger's value; null when the metric cannot be computed on the holdout. */
  challenger: number | null;
  /** The champion's value on the same holdout; null when there is no champion. */
  champion: number | null;
  challengerVersion: number;
  championVersion: number | null;
  holdoutRows: number;
  datasetId: number;
  /** policy.retrain.minImprovement */
  minImprovement: number;
}

export interface HoldoutJudgement {
  accepted: boolean;
  reason: string;
}

/** Accepted only when the challenger beats the champion by minImprovement (or there is no champion). */
export function judgeOnHoldout(s: HoldoutScores): HoldoutJudgement {
  if (s.challenger === null) {
    return { accepted: false, reason: `${s.metric} cannot be computed on the holdout of dataset ${s.datasetId}` };
  }
  const on = `on ${s.holdoutRows} holdout rows`;
  const challenger = `challenger ${s.challengerVersion} ${s.metric} ${s.challenger.toFixed(4)}`;
  if (s.champion === null) return { accepted: true, reason: `${challenger} ${on}; no champion to beat` };
  const gain = s.higherIsBetter ? s.challenger - s.champion : s.champion - s.challenger;
  const champion = `champion ${s.championVersion} ${s.champion.toFixed(4)}`;
  if (gain < s.minImprovement) {
    return {
      accepted: false,
      reason: `${challenger} vs ${champion} ${on}: does not beat it by ${s.minImprovement} (policy.retrain.minImprovement)`,
    };
  }
  return { accepted: true, reason: `${challenger} beats ${champion} ${on}` };
}

export type LiveVerdict = 'better' | 'same' | 'worse' | 'insufficient';

export interface LiveScores {
  metric: string;
  higherIsBetter: boolean;
  stage: string;
  challengerVersion: number;
  championVersion: number | null;
  labeledRows: number;
  /** policy.performance.minLabeledRows */
  minLabeledRows: number;
  /** null when not computed (too few rows) or not computable. */
  challenger: number | null;
  champion: number | null;
  /** policy.retrain.rollbackMargin */
  rollbackMargin: number;
}

/** Whether there are enough labeled live rows (and a champion) to score both versions at all. */
export function canCompareLive(s: Pick<LiveScores, 'labeledRows' | 'minLabeledRows' | 'championVersion'>): boolean {
  return s.labeledRows >= s.minLabeledRows && s.championVersion !== null;
}

/** Worse means below the champion by more than the rollback margin; better means above it at all. */
export function judgeLive(s: LiveScores): { verdict: LiveVerdict; summary: string } {
  if (!canCompareLive(s)) {
    return {
      verdict: 'insufficient',
      summary: `${s.labeledRows} labeled ${s.stage} rows of version ${s.challengerVersion}, ${s.minLabeledRows} needed (policy.performance.minLabeledRows)`,
    };
  }
  if (s.challenger === null || s.champion === null) {
    return { verdict: 'insufficient', summary: `${s.metric} cannot be computed on the live rows` };
  }
  const deficit = s.higherIsBetter ? s.champion - s.challenger : s.challenger - s.champion;
  const verdict: LiveVerdict = deficit > s.rollbackMargin ? 'worse' : deficit < 0 ? 'better' : 'same';
  return {
    verdict,
    summary: `live ${s.metric} of version ${s.challengerVersion} ${s.challenger.toFixed(4)} vs ${s.champion.toFixed(4)} for version ${s.championVersion} on the same ${s.labeledRows} labeled rows (margin ${s.rollbackMargin})`,
  };
}

/**
 * Indexes (into train rows followed by holdout rows) of the rows a new version's reference profile
 * is built from: the holdout (the newest: what it will see in production) when it has `enough`
 * rows, else the rows since the recent window began, else all of them.
 */
export function profileRowIndexes(
  trainTs: readonly Date[],
  holdoutTs: readonly Date[],
  recentFrom: Date,
  enough: number,
): number[] {
  const all = trainTs.length + holdoutTs.length;
  const newest = holdoutTs.map((_t, i) => trainTs.length + i);
  if (newest.length >= enough) return newest;
  const ts = [...trainTs, ...holdoutTs];
  const recent = ts.flatMap((t, i) => (t >= recentFrom ? [i] : []));
  if (recent.length >= enough) return recent;
  return Array.from({ length: all }, (_v, i) => i);
}
