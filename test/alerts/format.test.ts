/** Links, wording and HTTP classification shared by every sink. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { postJson, retryAfterMs } from '../../alerts/http';
import { grafanaDashboardUrl, temporalRunUrl } from '../../alerts/links';
import { defaultSummary, describeFinding, formatNumber } from '../../alerts/message';
import { escapeMrkdwn } from '../../alerts/slack';

describe('links', () => {
  it('points Grafana at the model dashboard over the window, in epoch ms', () => {
    const url = grafanaDashboardUrl('https://grafana.example.com/', 'churn-v2', {
      start: new Date('2025-01-01T00:00:00Z'),
      end: new Date('2025-01-01T00:10:00Z'),
    });
    expect(url).toBe(
      'https://grafana.example.com/d/driftloop-model-drift?var-model=churn-v2&from=1735689600000&to=1735690200000',
    );
  });

  it('points Temporal at the run, escaping workflow ids', () => {
    expect(temporalRunUrl('http://127.0.0.1:8233', 'default', 'monitor/churn', 'abc-1')).toBe(
      'http://127.0.0.1:8233/namespaces/default/workflows/monitor%2Fchurn/abc-1',
    );
  });
});

describe('wording', () => {
  it('summarizes the drifted features, naming the first three', () => {
    const f = (feature: string) => ({ feature, test: 'psi', statistic: 0.3, pvalue: null, threshold: 0.2 });
    expect(defaultSummary('churn', 'drift', [f('a'), f('b'), f('c'), f('d')], { drifted: 4, total: 9 })).toBe(
      'churn: input drift in 4 of 9 features (a, b, c, …)',
    );
    expect(defaultSummary('churn', 'deploy_failed', [])).toBe('churn: deployment failed');
  });

  it('keeps the prediction out of the feature count and names, and says it apart', () => {
    const f = (feature: string, kind?: 'prediction') => ({
      feature,
      kind,
      test: 'psi',
      statistic: 0.3,
      pvalue: null,
      threshold: 0.2,
    });
    const findings = [f('credit_score'), f('prediction', 'prediction'), f('loan_amount')];
    expect(defaultSummary('loans', 'drift', findings, { drifted: 2, total: 6 })).toBe(
      'loans: input drift in 2 of 6 features (credit_score, loan_amount); prediction drifted',
    );
    expect(defaultSummary('loans', 'drift', [f('prediction', 'prediction')], { drifted: 0, total: 6 })).toBe(
      'loans: input drift (prediction drifted)',
    );
  });

  it('says segment drift apart from the feature count, most significant segment first', () => {
    const f = (feature: string, segment?: string) => ({
      feature,
      kind: segment ? ('segment' as const) : undefined,
      segment,
      test: 'ks',
      statistic: 0.3,
      pvalue: 0.0001,
      threshold: 0.01,
    });
    const findings = [f('income'), f('income', 'country=BR'), f('age', 'country=BR'), f('income', 'country=MX')];
    expect(defaultSummary('loans', 'drift', findings, { drifted: 1, total: 6 })).toBe(
      'loans: input drift in 1 of 6 features (income); drift in segment country=BR (income, age); segment country=MX (income)',
    );
    expect(defaultSummary('loans', 'drift', [f('income', 'country=BR')])).toBe(
      'loans: input drift; drift in segment country=BR (income)',
    );
    expect(describeFinding(f('age', 'country=BR'))).toBe('country=BR age: ks=0.3 (p=1.00e-4, threshold 0.01)');
  });

  it('formats statistics readably', () => {
    expect(formatNumber(0.000012345)).toBe('1.23e-5');
    expect(formatNumber(12.34567)).toBe('12.35');
    expect(formatNumber(null)).toBe('n/a');
    expect(describeFinding({ feature: 'age', test: 'ks', statistic: 0.21, pvalue: 0.0004, threshold: 0.05 })).toBe(
      'age: ks=0.21 (p=4.00e-4, threshold 0.05)',
    );
    expect(escapeMrkdwn('a < b & c > d')).toBe('a &lt; b &amp; c &gt; d');
  });
});

describe('postJson', () => {
  it('reads Retry-After as seconds or a date', () => {
    expect(retryAfterMs('7')).toBe(7000);
    expect(retryAfterMs(new Date(Date.UTC(2025, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2025, 0, 1))).toBe(30_000);
    expect(retryAfterMs(null)).toBeUndefined();
  });

  it('classifies answers: 2xx delivered, 429/5xx/refused retryable, other 4xx rejected', async () => {
    let status = 200;
    const server = createServer((_req, res) => {
      res.writeHead(status);
      res.end(status === 400 ? 'invalid_payload' : '');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
    try {
      expect(await postJson(url, '{}')).toEqual({ kind: 'delivered', status: 200 });
      status = 429;
      expect(await postJson(url, '{}')).toMatchObject({ kind: 'retryable', status: 429 });
      status = 502;
      expect(await postJson(url, '{}')).toMatchObject({ kind: 'retryable', status: 502 });
      status = 400;
      expect(await postJson(url, '{}')).toMatchObject({
        kind: 'rejected',
        status: 400,
        message: expect.stringContaining('invalid_payload'),
      });
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(await postJson(url, '{}')).toMatchObject({ kind: 'retryable', status: null });
  });
});
