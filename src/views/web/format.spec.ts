import {
  celsius,
  DASH,
  duration,
  flow,
  millimetres,
  percent,
  phrase,
  swissDateTime,
  swissDay,
  swissTime,
} from './format';

describe('view formatting', () => {
  it('writes numbers with their units, and a dash for what is missing', () => {
    // Number and unit joined by a no-break space.
    expect(celsius(12.49)).toBe('12.5\u00a0°C');
    expect(celsius(16, 0)).toBe('16\u00a0°C');
    expect(flow(246.6)).toBe('247\u00a0m³/s');
    expect(percent(23.4)).toBe('23\u00a0%');
    expect(millimetres(0)).toBe('0.0\u00a0mm');
    for (const missing of [null, undefined, Number.NaN, Infinity]) {
      expect(celsius(missing)).toBe(DASH);
      expect(flow(missing)).toBe(DASH);
      expect(percent(missing)).toBe(DASH);
      expect(millimetres(missing)).toBe(DASH);
    }
  });

  it('writes a duration in hours and minutes', () => {
    expect(duration(16_380)).toBe('4 h 33 min');
    expect(duration(1_530)).toBe('25 min');
    expect(duration(0)).toBe('0 min');
    expect(duration(null)).toBe(DASH);
    expect(duration(-5)).toBe(DASH);
  });

  it('shows times in Swiss time, summer and winter', () => {
    expect(swissDateTime('2023-05-09T11:20:00.000Z')).toBe('9 May 2023, 13:20');
    expect(swissTime('2023-12-09T11:20:00.000Z')).toBe('12:20');
    expect(swissDay(Date.UTC(2023, 4, 9, 23, 30))).toBe('10 May');
    expect(swissDateTime(null)).toBe(DASH);
    expect(swissTime('not a date')).toBe(DASH);
  });

  it('quotes a Swiss German phrase with its English reading when there is one', () => {
    expect(phrase('Uschaflig chaut', 'awfully cold')).toBe('«Uschaflig chaut» (awfully cold)');
    expect(phrase('Gmüetlech', null)).toBe('«Gmüetlech»');
    expect(phrase(null, 'cloudy')).toBe('cloudy');
    expect(phrase(null)).toBe(DASH);
  });
});
