import type { CounterConfiguration } from 'prom-client';

export const TOKEN_CHECK_OUTCOMES = [
  'accepted',
  'invalid',
  'insufficient_scope',
  'provider_unavailable',
] as const;

export const AUTH_TOKEN_CHECKS = {
  name: 'auth_token_checks_total',
  help: 'Bearer tokens checked (AUTH_MODE oauth or both), by outcome: accepted, invalid (401), insufficient_scope (403), provider_unavailable (503: the identity provider could not be asked).',
  labelNames: ['outcome'] as const,
} satisfies CounterConfiguration<'outcome'>;
