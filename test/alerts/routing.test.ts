/** Pure decisions: which sinks an incident routes to, and who is paged when it opens or is seen again. */
import { describe, expect, it } from 'vitest';
import { planRaise, type RaiseFacts } from '../../alerts/lifecycle';
import { DEFAULT_RATE_LIMITS, routeIncident, type SinkSettings } from '../../alerts/routing';

const all: SinkSettings = {
  alertmanagerUrl: 'http://am:9093',
  pagerdutyRoutingKey: 'key',
  pagerdutyUrl: 'http://pd',
  slackWebhookUrl: 'http://slack',
  webhookUrl: 'http://hook',
};

describe('routeIncident', () => {
  it('routes to every configured sink when the policy names none', () => {
    expect(routeIncident('critical', [], all)).toEqual({
      sinks: ['alertmanager', 'pagerduty', 'slack', 'webhook'],
      problems: [],
    });
    expect(routeIncident('critical', [], { pagerdutyUrl: 'http://pd', slackWebhookUrl: 'http://s' }).sinks).toEqual([
      'slack',
    ]);
  });

  it('keeps info incidents away from PagerDuty', () => {
    expect(routeIncident('info', [], all).sinks).toEqual(['alertmanager', 'slack', 'webhook']);
    expect(routeIncident('warning', [], all).sinks).toContain('pagerduty');
  });

  it('narrows to the policy sinks and names the setting for an unconfigured or unknown one', () => {
    const route = routeIncident('critical', ['pagerduty', 'slack', 'email'], {
      pagerdutyUrl: 'x',
      pagerdutyRoutingKey: 'k',
    });
    expect(route.sinks).toEqual(['pagerduty']);
    expect(route.problems).toEqual([
      'policy.alerts.sinks names slack but it is not configured: set DRIFTLOOP_SLACK_WEBHOOK_URL',
      'policy.alerts.sinks names unknown sink "email"; known sinks are alertmanager, pagerduty, slack, webhook',
    ]);
  });
});

describe('planRaise', () => {
  const base: RaiseFacts = {
    routed: ['alertmanager', 'pagerduty', 'slack'],
    open: null,
    next: 'retrain_started',
    suppressed: false,
    pagesLastHour: {},
    rateLimits: DEFAULT_RATE_LIMITS,
  };

  it('pages every routed sink when an incident opens', () => {
    expect(planRaise(base)).toEqual({
      action: 'trigger',
      deliver: ['alertmanager', 'pagerduty', 'slack'],
      held: [],
      rateLimited: [],
    });
  });

  it('only refreshes Alertmanager while the incident stays open', () => {
    const open = { next: 'retrain_started' as const, paged: base.routed };
    expect(planRaise({ ...base, open })).toEqual({
      action: 'refresh',
      deliver: ['alertmanager'],
      held: [],
      rateLimited: [],
    });
  });

  it('holds new pages during a retrain but keeps refreshing what was already paged', () => {
    expect(planRaise({ ...base, suppressed: true })).toMatchObject({ deliver: [], held: base.routed });
    const open = { next: 'retrain_started' as const, paged: ['alertmanager' as const] };
    expect(planRaise({ ...base, open, suppressed: true })).toEqual({
      action: 'trigger',
      deliver: ['alertmanager'],
      held: ['pagerduty', 'slack'],
      rateLimited: [],
    });
  });

  it('pages a sink that was held or limited before, once it may', () => {
    const open = { next: 'retrain_started' as const, paged: ['alertmanager' as const, 'slack' as const] };
    expect(planRaise({ ...base, open })).toEqual({
      action: 'trigger',
      deliver: ['pagerduty', 'alertmanager'],
      held: [],
      rateLimited: [],
    });
  });

  it('pages everyone again when an approval becomes needed', () => {
    const open = { next: 'retrain_started' as const, paged: base.routed };
    expect(planRaise({ ...base, open, next: 'approval_needed' }).deliver).toEqual(base.routed);
    const waiting = { next: 'approval_needed' as const, paged: base.routed };
    expect(planRaise({ ...base, open: waiting, next: 'approval_needed' }).deliver).toEqual(['alertmanager']);
  });

  it('rate limits a sink whose hourly page budget is spent', () => {
    const plan = planRaise({ ...base, pagesLastHour: { pagerduty: 30, slack: 2 } });
    expect(plan).toMatchObject({ deliver: ['alertmanager', 'slack'], rateLimited: ['pagerduty'] });
  });
});
