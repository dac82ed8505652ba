import { makeCounterProvider, makeGaugeProvider } from '@willsoto/nestjs-prometheus';
import type { CounterConfiguration, GaugeConfiguration } from 'prom-client';

export const RESOURCE_UPDATES = {
  name: 'mcp_resource_updates_total',
  help: 'Changes of subscribed resources the poller found, by resource (current, today, widget, cities, list); each is sent to every subscriber of the URI.',
  labelNames: ['resource'] as const,
} satisfies CounterConfiguration<'resource'>;

export const UPDATE_NOTIFICATIONS = {
  name: 'mcp_resource_update_notifications_total',
  help: 'notifications/resources/updated queued for 2025 sessions (stdio included) by the poller, by outcome (queued, failed).',
  labelNames: ['outcome'] as const,
} satisfies CounterConfiguration<'outcome'>;

export const SUBSCRIPTION_POLLS = {
  name: 'mcp_subscription_polls_total',
  help: 'Polls of upstream for the subscriptions by this process, by outcome (ok, failed); none while nobody is subscribed.',
  labelNames: ['outcome'] as const,
} satisfies CounterConfiguration<'outcome'>;

export const SUBSCRIPTION_POLLER = {
  name: 'mcp_subscription_poller',
  help: '1 while this process is the one polling upstream for the subscriptions (holds the lease), else 0.',
} satisfies GaugeConfiguration<string>;

export const SUBSCRIPTIONS = {
  name: 'mcp_subscriptions',
  help: 'Resource subscriptions held (listen streams included), as the poller last counted them; with Redis, the fleet’s.',
} satisfies GaugeConfiguration<string>;

export const SUBSCRIPTION_REFUSALS = {
  name: 'mcp_subscription_refusals_total',
  help: 'Subscriptions refused, by reason (not_subscribable, unknown_city, subscriber_limit, key_limit, unavailable).',
  labelNames: ['reason'] as const,
} satisfies CounterConfiguration<'reason'>;

export const SUBSCRIPTIONS_METRICS = [
  makeCounterProvider(RESOURCE_UPDATES),
  makeCounterProvider(UPDATE_NOTIFICATIONS),
  makeCounterProvider(SUBSCRIPTION_POLLS),
  makeGaugeProvider(SUBSCRIPTION_POLLER),
  makeGaugeProvider(SUBSCRIPTIONS),
  makeCounterProvider(SUBSCRIPTION_REFUSALS),
];
