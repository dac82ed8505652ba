import { dayBar, degrees, niceStep, position, rangeText, sharedScale } from './day-bars';

describe('The range bars of the coming days', () => {
  // The Bern fixture's four days.
  const bern = [
    { min: 10, max: 14 },
    { min: 5, max: 14 },
    { min: 7, max: 13 },
    { min: 7, max: 15 },
  ];

  describe('niceStep', () => {
    it('picks the smallest of 1, 2, 5 × 10^k that covers the raw step, never below 1 °C', () => {
      expect(niceStep(0)).toBe(1);
      expect(niceStep(0.4)).toBe(1);
      expect(niceStep(1)).toBe(1);
      expect(niceStep(1.5)).toBe(2);
      expect(niceStep(2.5)).toBe(5);
      expect(niceStep(5)).toBe(5);
      expect(niceStep(7)).toBe(10);
      expect(niceStep(12)).toBe(20);
    });
  });

  describe('sharedScale', () => {
    it('spans the lowest minimum to the highest maximum of all days, in whole steps', () => {
      expect(sharedScale(bern)).toEqual({ lower: 5, upper: 15, step: 5, ticks: [5, 10, 15] });
    });

    it('widens to whole steps when the extremes fall between them', () => {
      const scale = sharedScale([
        { min: 3.4, max: 9 },
        { min: 6, max: 17.2 },
      ]);
      expect(scale).toEqual({ lower: 0, upper: 20, step: 5, ticks: [0, 5, 10, 15, 20] });
    });

    it('handles frost: negative temperatures, and no "-0" at zero', () => {
      const scale = sharedScale([
        { min: -6, max: -1 },
        { min: -3, max: 2 },
      ])!;
      expect(scale.lower).toBe(-6);
      expect(scale.upper).toBe(2);
      expect(scale.step).toBe(2);
      expect(scale.ticks).toEqual([-6, -4, -2, 0, 2]);
      // ceil(-0.5) is -0: the scale must still end at a plain 0.
      const belowZero = sharedScale([{ min: -3, max: -0.5 }])!;
      expect(Object.is(belowZero.upper, 0)).toBe(true);
      expect(belowZero.ticks).toEqual([-3, -2, -1, 0]);
    });

    it('leaves out unknown values and is null when no day has a temperature', () => {
      expect(
        sharedScale([
          { min: null, max: 14 },
          { min: 5, max: undefined },
          { min: null, max: null },
          { min: NaN, max: 40 / 0 },
        ]),
      ).toEqual({ lower: 5, upper: 15, step: 5, ticks: [5, 10, 15] });
      expect(sharedScale([])).toBeNull();
      expect(sharedScale([{ min: null, max: null }])).toBeNull();
    });

    it('gives a single day a scale of its own, its bar inside it', () => {
      const scale = sharedScale([{ min: 8, max: 11 }])!;
      expect(scale).toEqual({ lower: 8, upper: 11, step: 1, ticks: [8, 9, 10, 11] });
      expect(dayBar(scale, { min: 8, max: 11 })).toEqual({ start: 0, end: 100, point: false });
    });

    it('puts a step either side when min equals max, so the mark sits in the middle', () => {
      const scale = sharedScale([{ min: 12, max: 12 }])!;
      expect(scale).toEqual({ lower: 11, upper: 13, step: 1, ticks: [11, 12, 13] });
      expect(dayBar(scale, { min: 12, max: 12 })).toEqual({ start: 50, end: 50, point: true });
    });
  });

  describe('dayBar', () => {
    const scale = sharedScale(bern)!;

    it('places each day from its minimum to its maximum on the one scale', () => {
      expect(bern.map((day) => dayBar(scale, day))).toEqual([
        { start: 50, end: 90, point: false },
        { start: 0, end: 90, point: false },
        { start: 20, end: 80, point: false },
        { start: 20, end: 100, point: false },
      ]);
    });

    it('marks the known value of a day that has only one, and draws nothing without either', () => {
      expect(dayBar(scale, { min: null, max: 14 })).toEqual({ start: 90, end: 90, point: true });
      expect(dayBar(scale, { min: 7, max: null })).toEqual({ start: 20, end: 20, point: true });
      expect(dayBar(scale, { min: null, max: null })).toBeNull();
      expect(dayBar(null, { min: 7, max: 12 })).toBeNull();
    });

    it('takes a minimum above the maximum the right way round', () => {
      expect(dayBar(scale, { min: 14, max: 10 })).toEqual({ start: 50, end: 90, point: false });
    });

    it('keeps values outside the scale at its ends', () => {
      expect(position(scale, -20)).toBe(0);
      expect(position(scale, 30)).toBe(100);
      expect(position(scale, 12.5)).toBe(75);
    });
  });

  describe('rangeText', () => {
    it('says the same numbers as the bar, or a dash', () => {
      expect(rangeText({ min: 10, max: 14 })).toBe('10 to 14 °C');
      expect(rangeText({ min: 14, max: 10 })).toBe('10 to 14 °C');
      expect(rangeText({ min: -2.5, max: 3 })).toBe('-2.5 to 3 °C');
      expect(rangeText({ min: 9, max: 9 })).toBe('9 °C');
      expect(rangeText({ min: null, max: 14 })).toBe('max 14 °C');
      expect(rangeText({ min: 7, max: null })).toBe('min 7 °C');
      expect(rangeText({ min: null, max: null })).toBe('–');
      expect(rangeText({ min: NaN, max: undefined })).toBe('–');
    });

    it('writes whole degrees without decimals and others with one', () => {
      expect(degrees(14)).toBe('14');
      expect(degrees(13.46)).toBe('13.5');
      expect(degrees(-3)).toBe('-3');
    });
  });
});
