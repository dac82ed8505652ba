import {
  HistoryRangeError,
  parseHistoryTime,
  resolveHistoryRange,
  zurichMidnight,
  zurichOffsetMs,
} from './history-dates';

// Tuesday 2023-05-09 13:20:30 UTC (15:20:30 in Bern, summer time).
const NOW = Date.UTC(2023, 4, 9, 13, 20, 30);
const NOW_MINUTE = Date.UTC(2023, 4, 9, 13, 20) / 1000;

function problemOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof HistoryRangeError) return error.problem;
    throw error;
  }
  return undefined;
}

describe('parseHistoryTime', () => {
  it('accepts Unix seconds as text or number', () => {
    expect(parseHistoryTime('1683631200', NOW)).toBe(1683631200);
    expect(parseHistoryTime(1683631200, NOW)).toBe(1683631200);
    expect(parseHistoryTime('0', NOW)).toBe(0);
  });

  it('rejects milliseconds with a hint', () => {
    expect(() => parseHistoryTime('1683631200000', NOW)).toThrow(/milliseconds/);
    expect(() => parseHistoryTime(1683631200000, NOW)).toThrow(HistoryRangeError);
    expect(() => parseHistoryTime(1.5, NOW)).toThrow(HistoryRangeError);
    expect(() => parseHistoryTime(-1, NOW)).toThrow(HistoryRangeError);
  });

  it('reads ISO dates and times as UTC unless an offset is given', () => {
    expect(parseHistoryTime('2023-05-09', NOW)).toBe(Date.UTC(2023, 4, 9) / 1000);
    expect(parseHistoryTime('2023-05-09T13:20', NOW)).toBe(Date.UTC(2023, 4, 9, 13, 20) / 1000);
    expect(parseHistoryTime('2023-05-09 13:20:05', NOW)).toBe(
      Date.UTC(2023, 4, 9, 13, 20, 5) / 1000,
    );
    expect(parseHistoryTime('2023-05-09T15:20:00+02:00', NOW)).toBe(
      Date.UTC(2023, 4, 9, 13, 20) / 1000,
    );
    expect(parseHistoryTime('2023-05-09T15:20:00+0200', NOW)).toBe(
      Date.UTC(2023, 4, 9, 13, 20) / 1000,
    );
    expect(parseHistoryTime('2023-05-09T13:20:00.123Z', NOW)).toBe(
      Date.UTC(2023, 4, 9, 13, 20) / 1000,
    );
  });

  it.each(['2023-02-30', '2023-13-01', '2023-05-09T24:00', '2023-5-9', 'tomorrowish', '', '-7'])(
    'rejects %p',
    (text) => {
      expect(problemOf(() => parseHistoryTime(text, NOW))).toBe('invalid_time');
    },
  );

  it('accepts a leap day only in a leap year', () => {
    expect(parseHistoryTime('2024-02-29', NOW)).toBe(Date.UTC(2024, 1, 29) / 1000);
    expect(problemOf(() => parseHistoryTime('2023-02-29', NOW))).toBe('invalid_time');
  });

  it('reads now and relative times to the whole minute', () => {
    expect(parseHistoryTime('now', NOW)).toBe(NOW_MINUTE);
    expect(parseHistoryTime(' NOW ', NOW)).toBe(NOW_MINUTE);
    expect(parseHistoryTime('-1 day', NOW)).toBe(NOW_MINUTE - 86400);
    expect(parseHistoryTime('-7 days', NOW)).toBe(NOW_MINUTE - 7 * 86400);
    expect(parseHistoryTime('-3 hours', NOW)).toBe(NOW_MINUTE - 3 * 3600);
    expect(parseHistoryTime('-2 weeks', NOW)).toBe(NOW_MINUTE - 14 * 86400);
    expect(parseHistoryTime('+1 day', NOW)).toBe(NOW_MINUTE + 86400);
    expect(parseHistoryTime('-1hour', NOW)).toBe(NOW_MINUTE - 3600);
  });

  it('reads today and yesterday as midnight in Bern', () => {
    // Midnight CEST on 2023-05-09 is 22:00 UTC the day before.
    expect(parseHistoryTime('today', NOW)).toBe(Date.UTC(2023, 4, 8, 22) / 1000);
    expect(parseHistoryTime('yesterday', NOW)).toBe(Date.UTC(2023, 4, 7, 22) / 1000);
  });
});

describe('zurichOffsetMs', () => {
  it('knows the offset of summer and winter time', () => {
    expect(zurichOffsetMs(Date.parse('2023-05-07T11:00:00Z'))).toBe(2 * 3_600_000);
    expect(zurichOffsetMs(Date.parse('2023-01-07T11:00:00Z'))).toBe(3_600_000);
  });
});

describe('zurichMidnight', () => {
  it('uses the Swiss calendar day, not the UTC one', () => {
    // 23:30 UTC on 9 May is already 10 May in Bern.
    expect(zurichMidnight(Date.UTC(2023, 4, 9, 23, 30))).toBe(Date.UTC(2023, 4, 9, 22) / 1000);
  });

  it('handles winter time and the DST switch days', () => {
    expect(zurichMidnight(Date.UTC(2023, 0, 15, 12))).toBe(Date.UTC(2023, 0, 14, 23) / 1000);
    // 26 March 2023: clocks go forward at 02:00; midnight is still +01:00.
    expect(zurichMidnight(Date.UTC(2023, 2, 26, 12))).toBe(Date.UTC(2023, 2, 25, 23) / 1000);
    // 29 October 2023: clocks go back at 03:00; midnight is still +02:00.
    expect(zurichMidnight(Date.UTC(2023, 9, 29, 12))).toBe(Date.UTC(2023, 9, 28, 22) / 1000);
    // The day after the switch back.
    expect(zurichMidnight(Date.UTC(2023, 9, 29, 12), 1)).toBe(Date.UTC(2023, 9, 29, 23) / 1000);
  });
});

describe('resolveHistoryRange', () => {
  const EARLIEST = Date.UTC(2017, 0, 1) / 1000;
  const options = { nowMs: NOW, maxRangeDays: 366, earliest: EARLIEST };
  /** For ranges that need a later "now" than the samples' day. */
  const in2026 = { ...options, nowMs: Date.UTC(2026, 0, 1) };

  it('resolves both ends', () => {
    expect(resolveHistoryRange('-2 days', 'now', options)).toEqual({
      start: NOW_MINUTE - 2 * 86400,
      end: NOW_MINUTE,
    });
  });

  it('rejects start >= end', () => {
    expect(problemOf(() => resolveHistoryRange('now', '-1 day', options))).toBe(
      'start_not_before_end',
    );
    expect(problemOf(() => resolveHistoryRange('now', 'now', options))).toBe(
      'start_not_before_end',
    );
    expect(() => resolveHistoryRange('2023-05-09', '2023-05-08', options)).toThrow(
      'The start (2023-05-09T00:00:00Z) must be before the end (2023-05-08T00:00:00Z).',
    );
  });

  it('accepts exactly the maximum range and rejects one second more', () => {
    const start = 1_600_000_000;
    expect(resolveHistoryRange(start, start + 366 * 86400, options)).toEqual({
      start,
      end: start + 366 * 86400,
    });
    expect(problemOf(() => resolveHistoryRange(start, start + 366 * 86400 + 1, options))).toBe(
      'range_too_long',
    );
    expect(() => resolveHistoryRange('2022-01-01', '2024-01-01', in2026)).toThrow(
      /730\.0 days; at most 366 days/,
    );
  });

  it('accepts a whole leap year', () => {
    expect(() => resolveHistoryRange('2024-01-01', '2025-01-01', in2026)).not.toThrow();
  });

  it('rejects a time in the future, saying which data there is', () => {
    expect(() => resolveHistoryRange('9999-12-30', '9999-12-31', options)).toThrow(
      'The start (9999-12-30T00:00:00Z) is in the future; there is no history for it yet. ' +
        'Ask for times from 2017-01-01 and not in the future.',
    );
    expect(problemOf(() => resolveHistoryRange('-1 day', '+1 day', options))).toBe('in_the_future');
    // Before the order is checked: the first thing wrong with the range is what is said.
    expect(problemOf(() => resolveHistoryRange('9999-12-31', 'now', options))).toBe(
      'in_the_future',
    );
  });

  it('accepts now as the end, and rejects a second later', () => {
    const now = NOW / 1000;
    expect(resolveHistoryRange('-1 hour', now, options).end).toBe(now);
    expect(problemOf(() => resolveHistoryRange('-1 hour', now + 1, options))).toBe('in_the_future');
  });

  it('rejects a time before the earliest data', () => {
    expect(() => resolveHistoryRange('-999999 weeks', '-999998 weeks', options)).toThrow(
      /^The start \(-017\d{3}-.*\) is before 2017-01-01, the earliest date aare\.guru has history for\. Ask for times from 2017-01-01 and not in the future\.$/,
    );
    expect(problemOf(() => resolveHistoryRange(0, 86400, options))).toBe('before_earliest');
    expect(problemOf(() => resolveHistoryRange('1990-01-01', '1990-02-01', options))).toBe(
      'before_earliest',
    );
  });

  it('accepts the earliest second and rejects the one before', () => {
    expect(resolveHistoryRange(EARLIEST, EARLIEST + 86400, options).start).toBe(EARLIEST);
    expect(problemOf(() => resolveHistoryRange(EARLIEST - 1, EARLIEST + 86400, options))).toBe(
      'before_earliest',
    );
  });

  it('names an earliest time that is not a midnight in full', () => {
    const earliest = Date.UTC(2020, 5, 1, 12, 30) / 1000;
    expect(() => resolveHistoryRange('2020-05-01', '2020-07-01', { ...options, earliest })).toThrow(
      /before 2020-06-01T12:30:00Z, the earliest/,
    );
  });
});
