/** Sends one recorded alert event to one sink by name: the only switch over sinks. */
import { sendToAlertmanager } from './alertmanager';
import { sendToPagerDuty } from './pagerduty';
import { SINK_SETTING, type SinkSettings } from './routing';
import { sendToSlack } from './slack';
import type { AlertMessage, SinkName, SinkOutcome } from './types';
import { sendToWebhook } from './webhook';

export async function sendAlert(
  sink: SinkName,
  settings: SinkSettings,
  eventId: number,
  message: AlertMessage,
): Promise<SinkOutcome> {
  const missing = (): SinkOutcome => ({
    kind: 'rejected',
    status: 0,
    message: `sink ${sink} is not configured: set ${SINK_SETTING[sink]}`,
  });
  switch (sink) {
    case 'alertmanager':
      return settings.alertmanagerUrl ? sendToAlertmanager(settings.alertmanagerUrl, message) : missing();
    case 'pagerduty':
      return settings.pagerdutyRoutingKey
        ? sendToPagerDuty(settings.pagerdutyUrl, settings.pagerdutyRoutingKey, message)
        : missing();
    case 'slack':
      return settings.slackWebhookUrl ? sendToSlack(settings.slackWebhookUrl, message) : missing();
    case 'webhook':
      return settings.webhookUrl
        ? sendToWebhook(settings.webhookUrl, settings.webhookSecret, eventId, message)
        : missing();
  }
}
