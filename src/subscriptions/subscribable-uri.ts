/** The resources a client may subscribe to, as the poller watches them. */
export type Subscribable =
  | { kind: 'widget'; uri: string }
  | { kind: 'cities'; uri: string }
  | { kind: 'current' | 'today'; uri: string; city: string };

const CITY_TEMPLATE = /^aareguru:\/\/(current|today)\/([a-z0-9-]{1,64})$/;

/**
 * What a subscribable URI names, or undefined for any other URI. The city is not checked against
 * upstream's list here (that needs the list); its form is, so a stored URI is always short.
 */
export function parseSubscribable(uri: string): Subscribable | undefined {
  if (uri === 'aareguru://widget') return { kind: 'widget', uri };
  if (uri === 'aareguru://cities') return { kind: 'cities', uri };
  const match = CITY_TEMPLATE.exec(uri);
  if (!match) return undefined;
  return { kind: match[1] as 'current' | 'today', uri, city: match[2] };
}

export const cityUri = (kind: 'current' | 'today', city: string): string =>
  `aareguru://${kind}/${city}`;
