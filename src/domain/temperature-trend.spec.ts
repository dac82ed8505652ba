import { temperatureTrend } from './temperature-trend';

describe('temperatureTrend', () => {
  it.each([
    [12.5, 12.7, 'stable'],
    [12.4, 12.7, 'stable'], // exactly +0.3 despite floating point
    [12.1, 12.4, 'stable'],
    [12.4, 12.1, 'stable'], // exactly -0.3
    [12.4, 12.71, 'rising'],
    [12.4, 12.09, 'falling'],
    [16.6, 16.4, 'stable'],
    [0, 0, 'stable'],
    [10, 11, 'rising'],
    [10, 9, 'falling'],
  ] as const)('%p → %p is %p', (current, forecast, trend) => {
    expect(temperatureTrend(current, forecast)).toBe(trend);
  });

  it.each([
    [null, 12],
    [12, null],
    [undefined, 12],
    [Number.NaN, 12],
  ])('is unknown when a value is missing (%p, %p)', (current, forecast) => {
    expect(temperatureTrend(current, forecast)).toBe('unknown');
  });
});
