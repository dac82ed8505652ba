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

/** "14 Aug 2024, 16:40" in Swiss time, from an ISO timestamp or epoch milliseconds. */
export function swissDateTime(value: string | number | null | undefined): string {
  const date = toDate(value);
  return date
    ? new Intl.DateTimeFormat('en-GB', {
        timeZone: SWISS_TIME,
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
      }).format(date)
    : DASH;
}

/** "14 Aug" in Swiss time. */
export function swissDay(value: string | number | null | undefined): string {
  const date = toDate(value);
  return date
    ? new Intl.DateTimeFormat('en-GB', {
        timeZone: SWISS_TIME,
        day: 'numeric',
        month: 'short',
      }).format(date)
    : DASH;
}

/** "16:40" in Swiss time. */
export function swissTime(value: string | number | null | undefined): string {
  const date = toDate(value);
  return date
    ? new Intl.DateTimeFormat('en-GB', {
        timeZone: SWISS_TIME,
        hour: '2-digit',
        minute: '2-digit',
      }).format(date)
    : DASH;
}

function toDate(value: string | number | null | undefined): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

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
