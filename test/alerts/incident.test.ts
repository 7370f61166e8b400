import { describe, expect, it } from 'vitest';
import {
  composeIncident,
  incidentLinks,
  outcomeNotice,
  resolveMessage,
  type IncidentState,
} from '../../alerts/incident';

const now = new Date('2026-12-02T10:00:00Z');
const run = {
  windowStart: new Date('2026-12-02T09:00:00Z'),
  windowEnd: new Date('2026-12-02T09:50:00Z'),
  driftedFeatures: 2,
  totalFeatures: 5,
  driftScore: 0.4,
  findings: [{ feature: 'income', test: 'ks', statistic: 0.3, pvalue: 1e-9, threshold: 0.01 }],
};

describe('composing an incident', () => {
  it('takes findings, counts and window from the drift run', () => {
    const draft = composeIncident({ model: 'loans', kind: 'drift', driftRunId: 7 }, run, true, now);
    expect(draft.details.findings).toEqual(run.findings);
    expect(draft.details.facts).toEqual({ drifted_features: '2 of 5', drift_score: 0.4, drift_run_id: 7 });
    expect(draft.window).toEqual({ start: run.windowStart, end: run.windowEnd });
    expect(draft.summary).toContain('loans');
    expect(draft.summary).toContain('income');
    expect(draft.details.next).toBe('investigate');
  });

  it('keeps findings and window given directly, and says when retraining is disabled', () => {
    const findings = [{ feature: 'accuracy', test: 'floor', statistic: 0.6, pvalue: null, threshold: 0.7 }];
    const draft = composeIncident(
      {
        model: 'loans',
        kind: 'performance',
        findings,
        window: { start: '2026-12-01T00:00:00Z', end: '2026-12-01T01:00:00Z' },
      },
      null,
      false,
      now,
    );
    expect(draft.details.findings).toBe(findings);
    expect(draft.window.start.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(draft.details.next).toBe('retrain_disabled');
    // Without a window or a run, the link shows the last hour.
    expect(composeIncident({ model: 'm', kind: 'drift' }, null, true, now).window.start).toEqual(
      new Date('2026-12-02T09:00:00Z'),
    );
  });

  it('links the dashboard over the window and the Temporal run that raised it', () => {
    const links = incidentLinks(
      { grafanaUrl: 'http://g', temporalUiUrl: 'http://t', temporalNamespace: 'default' },
      'loans',
      { start: run.windowStart, end: run.windowEnd },
      { workflowId: 'monitor-loans', runId: 'r1' },
    );
    expect(links.grafana).toContain(`from=${run.windowStart.getTime()}`);
    expect(links.temporal).toBe('http://t/namespaces/default/workflows/monitor-loans/r1');
  });
});

describe('event messages', () => {
  const incident: IncidentState = {
    id: 3,
    model: 'loans',
    kind: 'drift',
    severity: 'critical',
    status: 'firing',
    summary: 'loans: input drift',
    details: { findings: run.findings, facts: { drift_score: 0.4 }, next: 'investigate', nextText: 'Look.' },
    links: { grafana: 'http://g' },
    dedupKey: 'driftloop-3',
    openedAt: new Date('2026-12-02T09:55:00Z'),
    resolvedAt: null,
  };

  it('a resolve says a retrain still running, or that nothing is needed', () => {
    const resolved = { ...incident, status: 'resolved' as const, resolvedAt: now };
    expect(resolveMessage(resolved, 'retrain-loans-1', now)).toMatchObject({
      action: 'resolve',
      next: 'retrain_started',
      resolvedAt: now.toISOString(),
    });
    expect(resolveMessage(resolved, null, now)).toMatchObject({ next: 'none', nextText: 'No action is needed.' });
  });

  it('an outcome notice carries the versions, no findings, and says the incident stays open', () => {
    const notice = outcomeNotice(
      incident,
      {
        model: 'loans',
        outcome: 'deployed',
        reason: 'accuracy 0.84 vs 0.71',
        challengerVersion: 3,
        championVersion: 2,
      },
      now,
    );
    expect(notice.summary).toBe('loans: retrain deployed version 3 (was 2): accuracy 0.84 vs 0.71');
    expect(notice.findings).toEqual([]);
    expect(notice.facts).toEqual({ outcome: 'deployed', challenger: 3, champion: 2 });
    expect(notice.nextText).toContain('stays open');
  });
});
