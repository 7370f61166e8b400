/**
 * Slack incoming webhook: a Block Kit message a person reads on a phone — what broke, the top
 * drifted features with their statistics, what happens next, and buttons to the dashboard and run.
 */
import { postJson } from './http';
import { describeFinding, kindTitle } from './message';
import type { AlertMessage, Severity, SinkOutcome } from './types';

const TOP_FEATURES = 5;

const ICON: Record<Severity, string> = { critical: ':red_circle:', warning: ':warning:', info: ':information_source:' };

/** Slack mrkdwn treats &, < and > as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface SlackMessage {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

export function slackMessage(message: AlertMessage): SlackMessage {
  const resolved = message.action === 'resolve';
  const notice = message.action === 'notice';
  const icon = resolved ? ':white_check_mark:' : notice ? ':information_source:' : ICON[message.severity];
  const title = notice
    ? `${message.model}: retrain outcome`
    : `${resolved ? 'Resolved: ' : ''}${message.model} ${kindTitle(message.kind)}`;
  const blocks: Array<Record<string, unknown>> = [
    { type: 'header', text: { type: 'plain_text', text: `${icon} ${title}`.slice(0, 150), emoji: true } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: resolved
          ? `*${escapeMrkdwn(message.summary)}*\n${escapeMrkdwn(message.resolution ?? 'The model is healthy again.')}`
          : `*${escapeMrkdwn(message.summary)}*\n${escapeMrkdwn(message.nextText)}`,
      },
    },
  ];
  if (!resolved && message.findings.length > 0) {
    const lines = message.findings.slice(0, TOP_FEATURES).map((f) => `• ${escapeMrkdwn(describeFinding(f))}`);
    const more = message.findings.length > TOP_FEATURES ? `\n…and ${message.findings.length - TOP_FEATURES} more` : '';
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*Top drifted features*\n${lines.join('\n')}${more}` },
    });
  }
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `severity *${message.severity}* · incident #${message.incidentId} · opened ${message.openedAt}`,
      },
    ],
  });
  const buttons = [
    { type: 'button', text: { type: 'plain_text', text: 'Grafana dashboard' }, url: message.links.grafana },
  ];
  if (message.links.temporal) {
    buttons.push({ type: 'button', text: { type: 'plain_text', text: 'Temporal run' }, url: message.links.temporal });
  }
  blocks.push({ type: 'actions', elements: buttons });
  const tag = resolved ? '[resolved]' : notice ? '[notice]' : `[${message.severity}]`;
  return { text: `${tag} ${message.summary}`, blocks };
}

export async function sendToSlack(webhookUrl: string, message: AlertMessage): Promise<SinkOutcome> {
  return postJson(webhookUrl, JSON.stringify(slackMessage(message)));
}
