import { createHash } from 'node:crypto';

/**
 * Fingerprints of what upstream said at one poll, by watched part: `widget` (the whole
 * document), `widget:{city}` (one city's entry: measurement time, water, flow, air, sun),
 * `city-ids` (which cities exist) and `cities` (the city list with its temperatures).
 */
export type Fingerprints = Record<string, string>;

/** A short digest of a JSON value, independent of the order of object keys. */
export function fingerprint(value: unknown): string {
  return createHash('sha1').update(stableJson(value)).digest('base64url');
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map(
        (key) => `${JSON.stringify(key)}:${stableJson((value as Record<string, unknown>)[key])}`,
      );
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The widget's fingerprints: the document, each city's entry, and the set of city ids. */
export function widgetFingerprints(values: Record<string, unknown>): Fingerprints {
  const prints: Fingerprints = { widget: fingerprint(values) };
  for (const [city, entry] of Object.entries(values)) prints[`widget:${city}`] = fingerprint(entry);
  prints['city-ids'] = fingerprint(Object.keys(values).sort());
  return prints;
}

/**
 * The parts whose fingerprint differs from the previous poll's. A part seen for the first time is
 * the baseline, not a change: a new subscriber is told about what changes after it subscribed.
 */
export function changedParts(previous: Fingerprints, next: Fingerprints): string[] {
  return Object.keys(next).filter((part) => part in previous && previous[part] !== next[part]);
}
