/**
 * Turns the time expressions a person or a model writes ("yesterday", "-7 days", an ISO date,
 * Unix seconds) into Unix seconds, which is the only form upstream reliably accepts.
 */

export type HistoryRangeProblem =
  'invalid_time' | 'in_the_future' | 'before_earliest' | 'start_not_before_end' | 'range_too_long';

export class HistoryRangeError extends Error {
  constructor(
    readonly problem: HistoryRangeProblem,
    message: string,
  ) {
    super(message);
    this.name = 'HistoryRangeError';
  }
}

export const ACCEPTED_TIME_FORMATS =
  'an ISO date or date-time (2025-06-01, 2025-06-01T14:00, 2025-06-01T14:00:00+02:00; UTC when no offset is given), ' +
  'Unix seconds (1748779200), "now", "today", "yesterday" (midnight Swiss time), ' +
  'or a relative time such as "-3 hours", "-7 days", "-2 weeks"';

const SECOND = 1;
const UNIT_SECONDS: Record<string, number> = {
  minute: 60 * SECOND,
  hour: 3600 * SECOND,
  day: 86400 * SECOND,
  week: 7 * 86400 * SECOND,
};

const RELATIVE = /^([+-])\s*(\d{1,6})\s*(minute|hour|day|week)s?$/;
const UNIX_SECONDS = /^\d{1,11}$/;
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

const zurichParts = new Intl.DateTimeFormat('en-US', {
  timeZone: 'Europe/Zurich',
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});

function zurichFields(epochMs: number): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const part of zurichParts.formatToParts(new Date(epochMs))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return fields;
}

/** Offset of Swiss local time from UTC at an instant, in ms (3600000 in winter, 7200000 in summer). */
export function zurichOffsetMs(epochMs: number): number {
  const f = zurichFields(epochMs);
  const asUtc = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/** Unix seconds of midnight in Zurich, `dayOffset` days from the Swiss calendar day of `nowMs`. */
export function zurichMidnight(nowMs: number, dayOffset = 0): number {
  const today = zurichFields(nowMs);
  const midnightAsUtc = Date.UTC(today.year, today.month - 1, today.day + dayOffset);
  let instant = midnightAsUtc - zurichOffsetMs(midnightAsUtc);
  // The offset at the guess can differ from the offset at midnight itself around DST changes.
  instant = midnightAsUtc - zurichOffsetMs(instant);
  return Math.floor(instant / 1000);
}

function parseIso(text: string): number | null {
  const match = ISO.exec(text);
  if (!match) return null;
  const [, year, month, day, hour, minute, second, zone] = match;
  const normalised =
    `${year}-${month}-${day}T${hour ?? '00'}:${minute ?? '00'}:${second ?? '00'}` +
    (zone
      ? zone.toUpperCase() === 'Z'
        ? 'Z'
        : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')
      : 'Z');
  const ms = Date.parse(normalised);
  if (Number.isNaN(ms)) return null;
  // Date.parse rolls 2025-02-30 over to March; a calendar date that does not exist is an error.
  const roundTrip = new Date(Date.UTC(+year, +month - 1, +day));
  if (roundTrip.getUTCMonth() !== +month - 1 || roundTrip.getUTCDate() !== +day) return null;
  if (Number(hour ?? 0) > 23 || Number(minute ?? 0) > 59 || Number(second ?? 0) > 59) return null;
  return Math.floor(ms / 1000);
}

/**
 * One time expression → Unix seconds. Times relative to now are truncated to the whole minute
 * so that repeated questions within a minute share one cache entry.
 */
export function parseHistoryTime(input: string | number, nowMs: number): number {
  const nowSeconds = Math.floor(nowMs / 60000) * 60;
  if (typeof input === 'number') {
    if (Number.isInteger(input) && input >= 0 && input < 1e11) return input;
    throw invalid(String(input));
  }
  const text = input.trim().toLowerCase();
  if (text === 'now') return nowSeconds;
  if (text === 'today') return zurichMidnight(nowMs, 0);
  if (text === 'yesterday') return zurichMidnight(nowMs, -1);
  if (UNIX_SECONDS.test(text)) return Number(text);
  if (/^\d{12,}$/.test(text)) {
    throw new HistoryRangeError(
      'invalid_time',
      `"${input}" looks like milliseconds; give Unix seconds or ${ACCEPTED_TIME_FORMATS}.`,
    );
  }
  const relative = RELATIVE.exec(text);
  if (relative) {
    const [, sign, amount, unit] = relative;
    const delta = Number(amount) * UNIT_SECONDS[unit];
    return sign === '-' ? nowSeconds - delta : nowSeconds + delta;
  }
  const iso = parseIso(input.trim());
  if (iso !== null) return iso;
  throw invalid(input);
}

function invalid(input: string): HistoryRangeError {
  return new HistoryRangeError(
    'invalid_time',
    `"${input}" is not a time I understand. Use ${ACCEPTED_TIME_FORMATS}.`,
  );
}

export interface HistoryRange {
  start: number;
  end: number;
}

export interface HistoryRangeOptions {
  nowMs: number;
  maxRangeDays: number;
  /** Unix seconds of the first data upstream has; nothing before it is asked for. */
  earliest: number;
}

/**
 * Parses both ends and rejects, before anything is sent, a range upstream cannot have data for
 * (in the future, or before its first data), a reversed or empty one, and one too long.
 */
export function resolveHistoryRange(
  start: string | number,
  end: string | number,
  options: HistoryRangeOptions,
): HistoryRange {
  const range = {
    start: parseHistoryTime(start, options.nowMs),
    end: parseHistoryTime(end, options.nowMs),
  };
  checkWithinData('start', range.start, options);
  checkWithinData('end', range.end, options);
  if (range.start >= range.end) {
    throw new HistoryRangeError(
      'start_not_before_end',
      `The start (${isoOf(range.start)}) must be before the end (${isoOf(range.end)}).`,
    );
  }
  const maxSeconds = options.maxRangeDays * UNIT_SECONDS.day;
  if (range.end - range.start > maxSeconds) {
    const days = ((range.end - range.start) / UNIT_SECONDS.day).toFixed(1);
    throw new HistoryRangeError(
      'range_too_long',
      `The range covers ${days} days; at most ${options.maxRangeDays} days can be asked for at once.`,
    );
  }
  return range;
}

/** Upstream has nothing after now or before its first data: such a time is never sent. */
function checkWithinData(
  which: 'start' | 'end',
  time: number,
  { nowMs, earliest }: HistoryRangeOptions,
): void {
  const first = dateOrTimeOf(earliest);
  const allowed = `Ask for times from ${first} and not in the future.`;
  if (time * 1000 > nowMs) {
    throw new HistoryRangeError(
      'in_the_future',
      `The ${which} (${isoOf(time)}) is in the future; there is no history for it yet. ${allowed}`,
    );
  }
  if (time < earliest) {
    throw new HistoryRangeError(
      'before_earliest',
      `The ${which} (${isoOf(time)}) is before ${first}, the earliest date aare.guru has history for. ${allowed}`,
    );
  }
}

function isoOf(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** "2017-01-01" for a midnight UTC, the full time otherwise. */
function dateOrTimeOf(unixSeconds: number): string {
  const iso = isoOf(unixSeconds);
  return iso.endsWith('T00:00:00Z') ? iso.slice(0, -'T00:00:00Z'.length) : iso;
}
