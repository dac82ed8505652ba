import { z } from 'zod';
import type { Freshness } from '../../aare/reports.schemas';

/** The `city` argument every single-city tool takes. */
export const cityArgument = z
  .string()
  .min(1)
  .max(64)
  .default('bern')
  .describe(
    'City id as listed by list_cities, e.g. "bern", "thun" or "interlaken". Case and surrounding spaces do not matter.',
  );

export function formatCelsius(value: number | null): string {
  return value === null ? 'unknown' : `${value} °C`;
}

export function formatFlow(value: number | null): string {
  return value === null ? 'unknown' : `${value} m³/s`;
}

/** The closing line of every text block: staleness and the sources to credit. */
export function describeFreshness(source: Freshness): string {
  const stale = source.stale
    ? `Note: the Aareguru API is not answering; this is an earlier answer, ${source.ageSeconds} s old. `
    : '';
  return `${stale}Source: aare.guru, hydrological data BAFU.`;
}
