import {
  downsample,
  flowTrend,
  Granularity,
  granularityOf,
  SeriesPoint,
  SeriesSummary,
  summariseSeries,
} from './series-summary';

/** Longer series are averaged down to this many points. */
export const MAX_HISTORY_POINTS = 500;

/** What a history report says about the whole range, whatever was averaged away. */
export interface HistorySummary {
  temperature: SeriesSummary;
  flow: SeriesSummary;
  granularity: Granularity;
  /** True when either series had more than MAX_HISTORY_POINTS points and was averaged down. */
  downsampled: boolean;
}

/**
 * A history series as it is reported and cached: a year of 10-minute points is megabytes in
 * memory, its digest a few tens of KB.
 */
export interface HistoryDigest {
  /** At most MAX_HISTORY_POINTS points per series. */
  series: { temperature: SeriesPoint[]; flow: SeriesPoint[] };
  summary: HistorySummary;
}

/**
 * Summarises full series (min, max, mean, trend and spacing are computed before anything is
 * averaged, so they stay exact), then averages the points down for reading.
 */
export function digestHistory(
  series: { temperature: readonly SeriesPoint[]; flow: readonly SeriesPoint[] },
  maxPoints = MAX_HISTORY_POINTS,
): HistoryDigest {
  const { temperature, flow } = series;
  return {
    series: {
      temperature: downsample(temperature, maxPoints),
      flow: downsample(flow, maxPoints),
    },
    summary: {
      temperature: summariseSeries(temperature),
      flow: summariseSeries(flow, flowTrend),
      granularity: granularityOf(temperature.length ? temperature : flow),
      downsampled: temperature.length > maxPoints || flow.length > maxPoints,
    },
  };
}
