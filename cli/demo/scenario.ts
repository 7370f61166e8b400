/**
 * The demo's world: loan applications whose default risk follows a known, seeded ground truth.
 *
 * Ground truth (logit of P(default)):
 *   -1.2 + 1.1·z(debt_ratio) − 0.9·z(credit_score) + 0.35·z(loan_amount) − 0.4·z(log income)
 *   + employment effect {salaried 0, self_employed 0.3, contract 0.5, unemployed 1.2}
 * where z(x) standardises with the training-period means and deviations below.
 *
 * Phases:
 *   reference  — the training distribution.
 *   covariate  — applicants change, the rule does not: credit_score −45 on average, more contract
 *                work, larger loans. Features drift; the model stays about as accurate.
 *   concept    — the rule changes (rates rose): loan size now drives default (+2.4·z(loan_amount)
 *                instead of +0.35) and contract work adds 1.2 more. The old model's accuracy drops;
 *                a model retrained on recent labeled traffic recovers it.
 */

import type { SeededRandom } from '../../stats/index';

export { seededRandom } from '../../stats/index';

export type Phase = 'reference' | 'covariate' | 'concept';

export interface LoanApplication {
  income: number;
  debt_ratio: number;
  credit_score: number;
  loan_amount: number;
  employment: string;
  purpose: string;
}

export const loanFeatures = [
  { name: 'income', type: 'numerical' as const, min: 0 },
  { name: 'debt_ratio', type: 'numerical' as const, min: 0, max: 1 },
  { name: 'credit_score', type: 'numerical' as const, min: 300, max: 850 },
  { name: 'loan_amount', type: 'numerical' as const, min: 0 },
  {
    name: 'employment',
    type: 'categorical' as const,
    categories: ['salaried', 'self_employed', 'contract', 'unemployed'],
  },
  { name: 'purpose', type: 'categorical' as const, categories: ['home', 'car', 'education', 'business'] },
];

export const loanTarget = { name: 'defaulted', classes: ['no', 'yes'] };

const EMPLOYMENT = ['salaried', 'self_employed', 'contract', 'unemployed'];
const PURPOSE = ['home', 'car', 'education', 'business'];
const EMPLOYMENT_RISK: Record<string, number> = { salaried: 0, self_employed: 0.3, contract: 0.5, unemployed: 1.2 };

function pick(rand: SeededRandom, items: string[], weights: number[]): string {
  let r = rand.next() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < items.length; i++) {
    r -= weights[i];
    if (r <= 0) return items[i];
  }
  return items[items.length - 1];
}

// Training-period moments used by the ground truth's standardisation.
const MOMENTS = { logIncome: [10.9, 0.45], debt: [0.35, 0.15], credit: [680, 60], loan: [15_000, 7_000] } as const;
const z = (x: number, [m, s]: readonly [number, number]) => (x - m) / s;

export function sampleApplication(rand: SeededRandom, phase: Phase): LoanApplication {
  const shifted = phase !== 'reference';
  const income = Math.exp(10.9 + 0.45 * rand.normal());
  const debt_ratio = Math.min(0.99, Math.max(0.01, 0.35 + 0.15 * rand.normal()));
  const credit_score = Math.round(Math.min(850, Math.max(300, (shifted ? 635 : 680) + 60 * rand.normal())));
  const loan_amount = Math.max(500, (shifted ? 19_000 : 15_000) + 7_000 * rand.normal());
  const employment = pick(rand, EMPLOYMENT, shifted ? [0.45, 0.15, 0.32, 0.08] : [0.6, 0.15, 0.17, 0.08]);
  const purpose = pick(rand, PURPOSE, [0.35, 0.3, 0.15, 0.2]);
  return { income, debt_ratio, credit_score, loan_amount, employment, purpose };
}

/** P(default) under the phase's true rule. */
export function defaultProbability(a: LoanApplication, phase: Phase): number {
  const loanEffect = phase === 'concept' ? 2.4 : 0.35;
  const contractExtra = phase === 'concept' && a.employment === 'contract' ? 1.2 : 0;
  const logit =
    -1.2 +
    1.1 * z(a.debt_ratio, MOMENTS.debt) -
    0.9 * z(a.credit_score, MOMENTS.credit) +
    loanEffect * z(a.loan_amount, MOMENTS.loan) -
    0.4 * z(Math.log(a.income), MOMENTS.logIncome) +
    EMPLOYMENT_RISK[a.employment] +
    contractExtra;
  return 1 / (1 + Math.exp(-logit));
}

export interface LabeledApplication {
  features: LoanApplication;
  label: 'yes' | 'no';
}

export function sampleLabeled(rand: SeededRandom, phase: Phase, n: number): LabeledApplication[] {
  const out: LabeledApplication[] = [];
  for (let i = 0; i < n; i++) {
    const features = sampleApplication(rand, phase);
    out.push({ features, label: rand.next() < defaultProbability(features, phase) ? 'yes' : 'no' });
  }
  return out;
}
