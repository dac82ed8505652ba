import type { Cached } from '../aareguru/cache/upstream-cache.service';
import type { Current } from '../aareguru/aareguru.schemas';
import { explainPhrase } from '../domain/swiss-german';
import { ATTRIBUTION, Freshness, WeatherDay, WeatherPeriod } from './reports.schemas';

/** Pure helpers that turn upstream's fields into report fields. */

export function isoFromUnix(seconds: number | null | undefined): string | null {
  return typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : null;
}

export function isoDateFromUnix(seconds: number | null | undefined): string | null {
  return isoFromUnix(seconds)?.slice(0, 10) ?? null;
}

/** One freshness block for a report built from one or more cached upstream answers. */
export function freshnessOf(...answers: Cached<unknown>[]): Freshness {
  const oldest = answers.reduce((a, b) => (b.fetchedAt < a.fetchedAt ? b : a));
  return {
    stale: answers.some((a) => a.stale),
    ageSeconds: Math.max(...answers.map((a) => a.ageSeconds)),
    fetchedAt: new Date(oldest.fetchedAt).toISOString(),
    attribution: ATTRIBUTION,
  };
}

type Period = NonNullable<NonNullable<NonNullable<Current['weather']>['today']>['v']>;

export function weatherPeriod(period: Period | null | undefined): WeatherPeriod | null {
  if (!period) return null;
  return {
    description: period.syt,
    descriptionEnglish: explainPhrase(period.syt),
    symbol: period.symt,
    airTemperature: period.tt,
    precipitationMm: period.rr,
    precipitationRiskPercent: period.rrisk,
  };
}

export function weatherToday(current: Current) {
  const today = current.weather?.today;
  return {
    morning: weatherPeriod(today?.v),
    afternoon: weatherPeriod(today?.n),
    evening: weatherPeriod(today?.a),
  };
}

export function weatherNextDays(current: Current): WeatherDay[] {
  return (current.weather?.forecast ?? []).map((day) => ({
    day: day.day,
    dayEnglish: explainPhrase(day.day),
    date: isoDateFromUnix(day.timestamp),
    description: day.syt,
    descriptionEnglish: explainPhrase(day.syt),
    symbol: day.symt,
    airTemperature: null,
    airTemperatureMax: day.tx,
    airTemperatureMin: day.tn,
    precipitationMm: day.rr,
    precipitationRiskPercent: day.rrisk,
  }));
}

/** Min and max water temperature over the 24 hours before the newest measurement. */
export function last24h(current: Current) {
  const points = current.aarepast;
  if (points.length === 0) return { minTemperature: null, maxTemperature: null, points: 0 };
  const newest = points[points.length - 1].timestamp;
  const values = points
    .filter((p) => p.timestamp > newest - 86400 && p.temperature !== null)
    .map((p) => p.temperature as number);
  return {
    minTemperature: values.length ? Math.min(...values) : null,
    maxTemperature: values.length ? Math.max(...values) : null,
    points: values.length,
  };
}
