import type { Trend } from '../../domain/temperature-trend';

/**
 * Formatting shared by the views. Pure functions: unit-tested without a browser. A number and its
 * unit are joined by a no-break space, so a narrow column never splits them.
 */

const NBSP = '\u00a0';

export const DASH = '–';

export function celsius(value: number | null | undefined, digits = 1): string {
  return typeof value === 'number' && Number.isFinite(value)
    ? `${value.toFixed(digits)}${NBSP}°C`
    : DASH;
}

export function flow(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value)
    ? `${Math.round(value)}${NBSP}m³/s`
    : DASH;
}

export function percent(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value)
    ? `${Math.round(value)}${NBSP}%`
    : DASH;
}

export function millimetres(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value)
    ? `${value.toFixed(1)}${NBSP}mm`
    : DASH;
}

/** "4 h 33 min", "25 min", "0 min" from seconds; a dash for what is missing. */
export function duration(seconds: number | null | undefined): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return DASH;
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  return hours ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
}

const SWISS_TIME = 'Europe/Zurich';

type Instant = string | number | null | undefined;

/** A formatter of instants in Swiss time, built once; a dash for what is missing or invalid. */
function swissFormatter(options: Intl.DateTimeFormatOptions): (value: Instant) => string {
  const format = new Intl.DateTimeFormat('en-GB', { timeZone: SWISS_TIME, ...options });
  return (value) => {
    if (value === null || value === undefined || value === '') return DASH;
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? DASH : format.format(date);
  };
}

/** "14 Aug 2024, 16:40" in Swiss time, from an ISO timestamp or epoch milliseconds. */
export const swissDateTime = swissFormatter({
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** "14 Aug" in Swiss time. */
export const swissDay = swissFormatter({ day: 'numeric', month: 'short' });

/** "16:40" in Swiss time. */
export const swissTime = swissFormatter({ hour: '2-digit', minute: '2-digit' });

/** A Swiss German phrase with its English reading when one is known: `"Gmüetlech" (pleasant)`. */
export function phrase(text: string | null | undefined, english?: string | null): string {
  if (!text) return english ?? DASH;
  return english ? `«${text}» (${english})` : `«${text}»`;
}

export const TREND_WORDS: Record<Trend, string> = {
  rising: 'rising',
  falling: 'falling',
  stable: 'stable',
  unknown: 'trend unknown',
};

export const TREND_ARROWS: Record<Trend, string> = {
  rising: '↗',
  falling: '↘',
  stable: '→',
  unknown: '·',
};
