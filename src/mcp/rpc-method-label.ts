import { metricLabelOf } from '../auth/principal';
/**
 * Every JSON-RPC method an MCP client may send this server, in any protocol era: the requests it
 * answers (or, for another era's methods, refuses) and the notifications it receives. A metric
 * labelled by method takes its value from here, so a client cannot grow the label set.
 */
const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'initialize',
  'ping',
  'logging/setLevel',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'server/discover',
  'subscriptions/listen',
  'tasks/get',
  'tasks/list',
  'tasks/result',
  'tasks/cancel',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/roots/list_changed',
  'notifications/elicitation/complete',
]);

/** The label for a received message: its method when known, `other` for any other method. */
export function rpcMethodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'other';
}

/**
 * The metrics' key label of a message: the key's label over HTTP (every caller a gateway names
 * counts as `gateway`, every token's caller as `oauth` or its configured client application, so
 * the label set stays bounded), `stdio` for the local pipe.
 */
export function keyLabelOf(
  extra: { authInfo?: { clientId?: string; extra?: Record<string, unknown> } } | undefined,
): string {
  if (!extra) return 'stdio';
  const metric = extra.authInfo?.extra?.metricLabel;
  return metricLabelOf({
    label: extra.authInfo?.clientId || 'anonymous',
    metric: typeof metric === 'string' ? metric : undefined,
  });
}
