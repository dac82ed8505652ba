import { temperatureTrend, Trend } from './temperature-trend';

/** One measurement of a series, as upstream's history gives it. */
export interface SeriesPoint {
  /** Unix seconds. */
  timestamp: number;
  value: number | null;
}

export interface SeriesSummary {
  /** Points with a value. */
  count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  /** First and last values present (gaps skipped). */
  first: number | null;
  last: number | null;
  trend: Trend;
}

/** A flow that changes by less than 5 % over the range is stable. */
export const FLOW_STABLE_FRACTION = 0.05;

export function flowTrend(first: number | null, last: number | null): Trend {
  if (first === null || last === null) return 'unknown';
  const band = Math.abs(first) * FLOW_STABLE_FRACTION;
  if (last - first > band) return 'rising';
  if (first - last > band) return 'falling';
  return 'stable';
}

const round2 = (value: number) => Math.round(value * 100) / 100;

export function summariseSeries(
  points: readonly SeriesPoint[],
  trendOf: (first: number | null, last: number | null) => Trend = temperatureTrend,
): SeriesSummary {
  const values = points.map((p) => p.value).filter((v): v is number => v !== null);
  if (values.length === 0) {
    return {
      count: 0,
      min: null,
      max: null,
      mean: null,
      first: null,
      last: null,
      trend: 'unknown',
    };
  }
  const first = values[0];
  const last = values[values.length - 1];
  return {
    count: values.length,
    min: Math.min(...values),
    max: Math.max(...values),
    mean: round2(values.reduce((sum, v) => sum + v, 0) / values.length),
    first,
    last,
    trend: trendOf(first, last),
  };
}

export interface Granularity {
  /** Typical spacing between points, in seconds; null with fewer than two points. */
  seconds: number | null;
  label: string;
}

/** The typical spacing of a series (the median gap, so single outages do not skew it). */
export function granularityOf(points: readonly SeriesPoint[]): Granularity {
  if (points.length < 2) return { seconds: null, label: 'unknown (fewer than two points)' };
  const gaps = points
    .slice(1)
    .map((p, i) => p.timestamp - points[i].timestamp)
    .sort((a, b) => a - b);
  const seconds = gaps[Math.floor(gaps.length / 2)];
  return { seconds, label: describeSeconds(seconds) };
}

function describeSeconds(seconds: number): string {
  if (seconds % 86400 === 0) return plural(seconds / 86400, 'day');
  if (seconds % 3600 === 0) return plural(seconds / 3600, 'hour');
  if (seconds % 60 === 0) return plural(seconds / 60, 'minute');
  return plural(seconds, 'second');
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/**
 * Averages a series into at most `maxPoints` buckets of equal point count, so a long range stays
 * readable. Each bucket keeps its first timestamp; empty buckets average to null.
 */
export function downsample(points: readonly SeriesPoint[], maxPoints: number): SeriesPoint[] {
  if (points.length <= maxPoints) return [...points];
  const size = Math.ceil(points.length / maxPoints);
  const result: SeriesPoint[] = [];
  for (let start = 0; start < points.length; start += size) {
    const bucket = points.slice(start, start + size);
    const values = bucket.map((p) => p.value).filter((v): v is number => v !== null);
    result.push({
      timestamp: bucket[0].timestamp,
      value: values.length ? round2(values.reduce((s, v) => s + v, 0) / values.length) : null,
    });
  }
  return result;
}
