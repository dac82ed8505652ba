import { digestHistory, MAX_HISTORY_POINTS } from './history-digest';

const series = (values: (number | null)[], step = 600) =>
  values.map((value, i) => ({ timestamp: 1000 + i * step, value }));

describe('digestHistory', () => {
  it('keeps short series whole', () => {
    const temperature = series([12, 12.5, 13]);
    const flow = series([200, 210, 220]);
    const digest = digestHistory({ temperature, flow });
    expect(digest.series).toEqual({ temperature, flow });
    expect(digest.summary).toMatchObject({
      temperature: { count: 3, min: 12, max: 13, mean: 12.5, trend: 'rising' },
      flow: { count: 3, min: 200, max: 220, trend: 'rising' },
      granularity: { seconds: 600, label: '10 minutes' },
      downsampled: false,
    });
  });

  it('summarises the full series before averaging it down', () => {
    // 1000 points alternating 10 and 20: averaged in pairs, every point is 15.
    const temperature = series(Array.from({ length: 1000 }, (_, i) => (i % 2 ? 20 : 10)));
    const digest = digestHistory({ temperature, flow: [] });
    expect(digest.series.temperature).toHaveLength(MAX_HISTORY_POINTS);
    expect(new Set(digest.series.temperature.map((p) => p.value))).toEqual(new Set([15]));
    expect(digest.summary.temperature).toMatchObject({ count: 1000, min: 10, max: 20, mean: 15 });
    // The spacing is that of the measurements, not of the averaged points.
    expect(digest.summary.granularity).toEqual({ seconds: 600, label: '10 minutes' });
    expect(digest.summary.downsampled).toBe(true);
  });

  it('takes the spacing from the flow when there is no temperature', () => {
    const digest = digestHistory({ temperature: [], flow: series([200, 210], 3600) });
    expect(digest.summary.granularity).toEqual({ seconds: 3600, label: '1 hour' });
    expect(digest.summary.temperature.count).toBe(0);
  });
});
