import { downsample, flowTrend, granularityOf, summariseSeries } from './series-summary';

const series = (values: (number | null)[], step = 600) =>
  values.map((value, i) => ({ timestamp: 1000 + i * step, value }));

describe('summariseSeries', () => {
  it('skips gaps and rounds the mean', () => {
    expect(summariseSeries(series([null, 12.44, 12.5, null, 12.91, null]))).toEqual({
      count: 3,
      min: 12.44,
      max: 12.91,
      mean: 12.62,
      first: 12.44,
      last: 12.91,
      trend: 'rising',
    });
  });

  it('is all null for an empty or all-null series', () => {
    const empty = { count: 0, min: null, max: null, mean: null, first: null, last: null };
    expect(summariseSeries([])).toEqual({ ...empty, trend: 'unknown' });
    expect(summariseSeries(series([null, null]))).toEqual({ ...empty, trend: 'unknown' });
  });

  it('uses the given trend function', () => {
    expect(summariseSeries(series([200, 230]), flowTrend).trend).toBe('rising');
  });
});

describe('flowTrend', () => {
  it.each([
    [200, 210, 'stable'], // exactly 5 %
    [200, 211, 'rising'],
    [200, 190, 'stable'],
    [200, 189, 'falling'],
    [0, 0, 'stable'],
    [null, 10, 'unknown'],
  ] as const)('%p → %p is %p', (first, last, trend) => {
    expect(flowTrend(first, last)).toBe(trend);
  });
});

describe('granularityOf', () => {
  it('takes the median gap', () => {
    const points = [0, 600, 1200, 2400, 3000].map((timestamp) => ({ timestamp, value: 1 }));
    expect(granularityOf(points)).toEqual({ seconds: 600, label: '10 minutes' });
    expect(granularityOf(series([1, 2, 3], 3600))).toEqual({ seconds: 3600, label: '1 hour' });
    expect(granularityOf(series([1, 2], 86400 * 2))).toEqual({ seconds: 172800, label: '2 days' });
    expect(granularityOf(series([1]))).toEqual({
      seconds: null,
      label: 'unknown (fewer than two points)',
    });
  });
});

describe('downsample', () => {
  it('leaves a short series alone', () => {
    expect(downsample(series([1, 2]), 5)).toEqual(series([1, 2]));
  });

  it('averages equal buckets and keeps each first timestamp', () => {
    expect(downsample(series([1, 2, 3, null, null, null, 7]), 3)).toEqual([
      { timestamp: 1000, value: 2 },
      { timestamp: 2800, value: null },
      { timestamp: 4600, value: 7 },
    ]);
  });
});
