import {
  decimalsOf,
  extremes,
  linearScale,
  linePath,
  placeMeanLabel,
  textBox,
  textWidth,
  niceStep,
  niceTicks,
  timeTicks,
  valueCount,
} from './chart';

describe('linearScale', () => {
  it('maps the domain onto the range, reversed ranges included', () => {
    const y = linearScale([10, 20], [200, 0]);
    expect(y(10)).toBe(200);
    expect(y(20)).toBe(0);
    expect(y(12.5)).toBe(150);
  });

  it('maps a domain of no width to the middle of the range', () => {
    expect(linearScale([5, 5], [0, 100])(5)).toBe(50);
  });
});

describe('niceStep and niceTicks', () => {
  it('takes steps of 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(1.09, 5)).toBe(0.5);
    expect(niceStep(1.09, 6)).toBe(0.2);
    expect(niceStep(54, 5)).toBe(20);
    expect(niceStep(54, 6)).toBe(10);
    expect(niceStep(1000, 4)).toBe(500);
    expect(niceStep(0.03, 3)).toBe(0.01);
  });

  it('widens the Bern temperatures to whole steps without floating-point noise', () => {
    const ticks = niceTicks(11.59, 12.68, 6);
    expect(ticks).toEqual({
      lo: 11.4,
      hi: 12.8,
      step: 0.2,
      ticks: [11.4, 11.6, 11.8, 12, 12.2, 12.4, 12.6, 12.8],
      decimals: 1,
    });
  });

  it('covers the flows in steps of ten', () => {
    const ticks = niceTicks(216, 270, 6);
    expect(ticks.ticks).toEqual([210, 220, 230, 240, 250, 260, 270]);
    expect(ticks.decimals).toBe(0);
  });

  it('keeps a bound that is already on a step', () => {
    expect(niceTicks(0, 10, 5).ticks).toEqual([0, 2, 4, 6, 8, 10]);
  });

  it('gives a flat series an axis around its value', () => {
    const ticks = niceTicks(12, 12, 4);
    expect(ticks.lo).toBeLessThan(12);
    expect(ticks.hi).toBeGreaterThan(12);
    expect(ticks.ticks).toContain(12);
  });

  it('counts the decimals a step needs', () => {
    expect(decimalsOf(0.2)).toBe(1);
    expect(decimalsOf(0.05)).toBe(2);
    expect(decimalsOf(5)).toBe(0);
    expect(decimalsOf(0.1)).toBe(1);
  });
});

describe('linePath', () => {
  const x = (t: number) => t;
  const y = (v: number) => v * 10;

  it('joins consecutive values into one line', () => {
    expect(
      linePath(
        [
          { timestamp: 0, value: 1 },
          { timestamp: 10, value: 2 },
          { timestamp: 20, value: 1.5 },
        ],
        x,
        y,
      ),
    ).toBe('M0 10L10 20L20 15');
  });

  it('leaves a gap at missing values instead of joining across them', () => {
    const path = linePath(
      [
        { timestamp: 0, value: 1 },
        { timestamp: 10, value: 2 },
        { timestamp: 20, value: null },
        { timestamp: 30, value: 3 },
        { timestamp: 40, value: 4 },
      ],
      x,
      y,
    );
    expect(path).toBe('M0 10L10 20M30 30L40 40');
  });

  it('draws a value alone between gaps as a dot', () => {
    const path = linePath(
      [
        { timestamp: 0, value: null },
        { timestamp: 10, value: 2 },
        { timestamp: 20, value: null },
        { timestamp: 30, value: 3 },
      ],
      x,
      y,
    );
    expect(path).toBe('M10 20h0M30 30h0');
  });

  it('draws nothing without values and never writes NaN', () => {
    expect(
      linePath(
        [
          { timestamp: 0, value: null },
          { timestamp: 10, value: Number.NaN },
        ],
        x,
        y,
      ),
    ).toBe('');
    expect(linePath([], x, y)).toBe('');
  });
});

describe('extremes', () => {
  it('finds the first lowest and first highest points, skipping nulls', () => {
    expect(
      extremes([
        { timestamp: 1, value: null },
        { timestamp: 2, value: 12.1 },
        { timestamp: 3, value: 11.59 },
        { timestamp: 4, value: 12.68 },
        { timestamp: 5, value: 11.59 },
        { timestamp: 6, value: 12.68 },
      ]),
    ).toEqual({ min: { timestamp: 3, value: 11.59 }, max: { timestamp: 4, value: 12.68 } });
  });

  it('is null for a series without values', () => {
    expect(extremes([{ timestamp: 1, value: null }])).toBeNull();
    expect(extremes([])).toBeNull();
  });

  it('counts the points that carry a value', () => {
    expect(
      valueCount([
        { timestamp: 1, value: null },
        { timestamp: 2, value: 0 },
      ]),
    ).toBe(1);
  });
});

describe('time ticks in Swiss time', () => {
  it('puts two days on round local hours, midnights labelled with the day', () => {
    const ticks = timeTicks(
      Date.parse('2023-05-07T11:00:00Z'),
      Date.parse('2023-05-09T11:00:00Z'),
      6,
    );
    expect(ticks.map((tick) => tick.label)).toEqual(['8 May', '12:00', '9 May', '12:00']);
    // 8 May, 00:00 in Zurich (summer time) is 7 May, 22:00 UTC.
    expect(new Date(ticks[0].at).toISOString()).toBe('2023-05-07T22:00:00.000Z');
    // Ticks fall inside the range and are evenly spaced.
    expect(ticks[0].at).toBeGreaterThanOrEqual(Date.parse('2023-05-07T11:00:00Z'));
    expect(ticks.at(-1)!.at).toBeLessThanOrEqual(Date.parse('2023-05-09T11:00:00Z'));
  });

  it('takes fewer, wider steps when there is less room', () => {
    const ticks = timeTicks(
      Date.parse('2023-05-07T11:00:00Z'),
      Date.parse('2023-05-09T11:00:00Z'),
      3,
    );
    expect(ticks.map((tick) => tick.label)).toEqual(['8 May', '9 May']);
  });

  it('keeps round local hours across the change to summer time', () => {
    const ticks = timeTicks(
      Date.parse('2023-03-25T20:00:00Z'),
      Date.parse('2023-03-26T20:00:00Z'),
      10,
    );
    for (const tick of ticks) expect(tick.label).toMatch(/^(\d\d:00|26 Mar)$/);
    expect(ticks.map((tick) => tick.label)).toContain('26 Mar');
    expect(ticks.map((tick) => tick.label)).toContain('12:00');
  });

  it('gives no ticks for an empty or reversed range', () => {
    expect(timeTicks(10, 10, 5)).toEqual([]);
    expect(timeTicks(20, 10, 5)).toEqual([]);
  });
});

describe('placeMeanLabel', () => {
  const flat = (y: number) => Array.from({ length: 61 }, (_, i) => ({ x: 40 + i * 10, y }));

  it('puts the label at the right end above the line when nothing is there', () => {
    expect(placeMeanLabel(100, 40, 640, 80, flat(160))).toEqual({ x: 636, y: 95, anchor: 'end' });
  });

  it('moves to the left when the line crosses the right end above the mean', () => {
    const line = flat(160).map((p) => (p.x > 500 ? { ...p, y: 90 } : p));
    expect(placeMeanLabel(100, 40, 640, 80, line)).toEqual({ x: 44, y: 95, anchor: 'start' });
  });

  it('goes below the line when the line runs just above it on both sides', () => {
    expect(placeMeanLabel(100, 40, 640, 80, flat(90))).toEqual({ x: 636, y: 115, anchor: 'end' });
  });

  it('finds a free place along the line when both ends are taken', () => {
    // The line runs just above and below the mean near both ends, and far from it in the middle.
    const line = [...flat(92), ...flat(110)].map((p) =>
      p.x > 200 && p.x < 480 ? { ...p, y: 160 } : p,
    );
    const place = placeMeanLabel(100, 40, 640, 80, line);
    expect(place.anchor).toBe('end');
    expect(place.y).toBe(95);
    expect(place.x - 80).toBeGreaterThan(200);
    expect(place.x).toBeLessThan(480);
  });

  it('never sits on another label', () => {
    const maxLabel = textBox(600, 96, 'end', 80);
    expect(placeMeanLabel(100, 40, 640, 80, flat(160), [maxLabel])).toEqual({
      x: 44,
      y: 95,
      anchor: 'start',
    });
  });

  it('measures labels by their length', () => {
    expect(textWidth('mean 12.12 °C')).toBeCloseTo(13 * 6.6);
    expect(textBox(100, 50, 'end', 40)).toEqual({ x0: 60, y0: 39, x1: 100, y1: 53 });
    expect(textBox(100, 50, 'middle', 40).x0).toBe(80);
  });
});
