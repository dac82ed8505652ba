/**
 * The compare view's table logic, free of the DOM: which value each column sorts by, the sort
 * itself (stable, unknown values last in both directions) and the direction a header click gives.
 */

export type SortValue = number | string | null | undefined;
export type Direction = 'ascending' | 'descending';

export interface SortState<K extends string> {
  key: K;
  direction: Direction;
}

function isUnknown(value: SortValue): value is null | undefined {
  return (
    value === null ||
    value === undefined ||
    value === '' ||
    (typeof value === 'number' && !Number.isFinite(value))
  );
}

const collator = new Intl.Collator('de-CH', { sensitivity: 'base', numeric: true });

function compareKnown(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return collator.compare(String(a), String(b));
}

/**
 * The items sorted by a value, in a direction. Items whose value is unknown (null, undefined, an
 * empty string, NaN) come last whatever the direction; equal values keep their order.
 */
export function sortBy<T>(
  items: readonly T[],
  value: (item: T) => SortValue,
  direction: Direction,
): T[] {
  const sign = direction === 'ascending' ? 1 : -1;
  return items
    .map((item, index) => ({ item, index, value: value(item) }))
    .sort((a, b) => {
      const aUnknown = isUnknown(a.value);
      const bUnknown = isUnknown(b.value);
      if (aUnknown || bUnknown) {
        return aUnknown === bUnknown ? a.index - b.index : aUnknown ? 1 : -1;
      }
      return (
        sign * compareKnown(a.value as number | string, b.value as number | string) ||
        a.index - b.index
      );
    })
    .map((entry) => entry.item);
}

/**
 * The sort a click on a column's header asks for: the same column turns round, another column
 * starts in its own first direction (names A to Z, numbers highest first).
 */
export function nextSort<K extends string>(
  current: SortState<K> | null,
  key: K,
  firstDirection: Direction,
): SortState<K> {
  if (current?.key === key) {
    return { key, direction: current.direction === 'ascending' ? 'descending' : 'ascending' };
  }
  return { key, direction: firstDirection };
}

/** The Swiss calendar day of a time, "2024-08-19", or null for no or a bad time. */
export function swissDayKey(value: string | null | undefined): string | null {
  if (!value) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Zurich',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(date);
}

/**
 * Whether a measurement time needs its date shown: when it is not on the Swiss day of the newest
 * measurement, the time alone would hide that it is old.
 */
export function needsDate(
  measuredAt: string | null | undefined,
  all: readonly (string | null | undefined)[],
): boolean {
  const day = swissDayKey(measuredAt);
  if (day === null) return false;
  let newest: number | null = null;
  let newestValue: string | null = null;
  for (const value of all) {
    const time = value ? new Date(value).getTime() : NaN;
    if (Number.isFinite(time) && (newest === null || time > newest)) {
      newest = time;
      newestValue = value!;
    }
  }
  return swissDayKey(newestValue) !== day;
}
