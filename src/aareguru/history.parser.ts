import type { SeriesPoint } from '../domain/series-summary';

/**
 * No recorded /v2018/history body exists, so its shape is not known for sure. The documented
 * hypothesis is `{ data: { temperature: [[unixSeconds, value]…], flow: […] } }`; a bare list of
 * `{ timestamp|time, temperature|aare, flow }` objects is also understood. Anything else is a
 * shape error rather than a guess.
 */

export interface HistorySeries {
  temperature: SeriesPoint[];
  flow: SeriesPoint[];
}

function finiteOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pairSeries(raw: unknown): SeriesPoint[] | null {
  if (!Array.isArray(raw)) return null;
  const points: SeriesPoint[] = [];
  for (const item of raw) {
    if (Array.isArray(item) && typeof item[0] === 'number') {
      points.push({ timestamp: item[0], value: finiteOrNull(item[1]) });
    } else if (isRecord(item) && typeof item.timestamp === 'number') {
      points.push({ timestamp: item.timestamp, value: finiteOrNull(item.value) });
    }
  }
  return points;
}

function objectListSeries(raw: unknown[]): HistorySeries | null {
  const series: HistorySeries = { temperature: [], flow: [] };
  for (const item of raw) {
    if (!isRecord(item)) continue;
    const timestamp = finiteOrNull(item.timestamp ?? item.time);
    if (timestamp === null) continue;
    series.temperature.push({ timestamp, value: finiteOrNull(item.temperature ?? item.aare) });
    series.flow.push({ timestamp, value: finiteOrNull(item.flow) });
  }
  return raw.length > 0 && series.temperature.length === 0 ? null : series;
}

const byTime = (a: SeriesPoint, b: SeriesPoint) => a.timestamp - b.timestamp;

/** Returns null when the body has no shape we understand. */
export function parseHistorySeries(body: unknown): HistorySeries | null {
  let series: HistorySeries | null = null;
  if (isRecord(body) && isRecord(body.data)) {
    const temperature = pairSeries(body.data.temperature);
    const flow = pairSeries(body.data.flow);
    if (temperature || flow) series = { temperature: temperature ?? [], flow: flow ?? [] };
  } else if (Array.isArray(body)) {
    series = objectListSeries(body);
  } else if (isRecord(body) && Array.isArray(body.data)) {
    series = objectListSeries(body.data);
  }
  if (!series) return null;
  series.temperature.sort(byTime);
  series.flow.sort(byTime);
  return series;
}
