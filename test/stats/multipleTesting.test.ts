import { describe, expect, it } from 'vitest';
import { benjaminiHochberg, bonferroni } from '../../stats/multipleTesting';
import { expectRelativelyClose, loadStatsFixture } from './fixtureMatch';

interface Case {
  name: string;
  pvalues: number[];
  bonferroni: number[];
  benjaminiHochberg: number[];
}

const { cases } = loadStatsFixture<{ cases: Case[] }>('multipleTesting.json');

describe('adjusted p-values match statsmodels multipletests', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const input = Float64Array.from(c.pvalues);
    const bonf = bonferroni(input);
    const bh = benjaminiHochberg(input);
    for (let i = 0; i < input.length; i++) {
      expectRelativelyClose(bonf[i], c.bonferroni[i], `${c.name} bonferroni[${i}]`);
      expectRelativelyClose(bh[i], c.benjaminiHochberg[i], `${c.name} fdr_bh[${i}]`);
    }
    expect(Array.from(input)).toEqual(c.pvalues);
  });
  it('empty input gives empty output; p outside [0, 1] or NaN throws naming the index', () => {
    expect(bonferroni([]).length).toBe(0);
    expect(benjaminiHochberg([]).length).toBe(0);
    expect(() => benjaminiHochberg([0.1, Number.NaN])).toThrow(/pvalues\[1\] is NaN/);
    expect(() => bonferroni([1.2])).toThrow(/pvalues\[0\] is 1.2/);
  });
});
