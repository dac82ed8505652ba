/** A city's new measurement, made when the fake had recorded `requestsBefore` requests. */
export interface CityChange {
  city: string;
  /** The fake's request count at the change: requests from this index on see it. */
  requestsBefore: number;
}

/** The fake upstream's request log, as far as the expectation needs it. */
export interface LoggedRequest {
  path: string;
}

const WIDGET = '/v2018/widget';
const CITIES = '/v2018/cities';

/**
 * How many `notifications/resources/updated` each subscriber of a URI should get, from what
 * upstream actually answered: the poller compares each answer with the one before, so every
 * `/widget` answer that includes a change made since the previous `/widget` answer is one
 * notification to the widget's subscribers and one to the subscribers of `current/{city}` and
 * `today/{city}` of each city that changed in between; `/cities` likewise for
 * `aareguru://cities`. Changes that land between the same two polls are told once (the poller
 * sees only their sum), which is why this counts answers, not changes. Only the poller asks for
 * `/widget` and `/cities` while the run measures (no tool is called), so each of those answers is
 * one the poller compared.
 */
export function expectedUpdates(
  requests: readonly LoggedRequest[],
  changes: readonly CityChange[],
): Map<string, number> {
  const expected = new Map<string, number>();
  const add = (uri: string) => expected.set(uri, (expected.get(uri) ?? 0) + 1);
  const changedBetween = (after: number, upTo: number) =>
    new Set(
      changes
        .filter((c) => c.requestsBefore > after && c.requestsBefore <= upTo)
        .map((c) => c.city),
    );
  for (const [path, onChange] of [
    [
      WIDGET,
      (cities: Set<string>) => {
        add('aareguru://widget');
        for (const city of cities) {
          add(`aareguru://current/${city}`);
          add(`aareguru://today/${city}`);
        }
      },
    ],
    [CITIES, () => add('aareguru://cities')],
  ] as const) {
    let previous: number | undefined;
    requests.forEach((request, index) => {
      if (request.path !== path) return;
      if (previous !== undefined) {
        const cities = changedBetween(previous, index);
        if (cities.size > 0) onChange(cities);
      }
      previous = index;
    });
  }
  return expected;
}
