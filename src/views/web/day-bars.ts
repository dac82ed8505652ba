/**
 * The coming days' air temperatures as horizontal range bars on one shared scale. Pure: no DOM,
 * unit-tested without a browser. Positions are percentages of the scale's width.
 */

import { DASH } from './format';

/** A day's lowest and highest air temperature (°C); either may be unknown. */
export interface DayRange {
  min: number | null | undefined;
  max: number | null | undefined;
}

/** The temperature scale every day's bar is drawn on, with round ends and tick marks. */
export interface TemperatureScale {
  lower: number;
  upper: number;
  step: number;
  ticks: number[];
}

/** Where a day's bar lies on the scale, in percent of its width (start ≤ end). */
export interface Bar {
  start: number;
  end: number;
  /** True when the day has only one known value, or min equals max: drawn as a mark. */
  point: boolean;
}

function known(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** The smallest of 1, 2, 5 × 10^k that is at least `raw` (and at least 1 °C). */
export function niceStep(raw: number): number {
  if (!(raw > 1)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 5, 10]) {
    if (factor * magnitude >= raw - 1e-9) return factor * magnitude;
  }
  return 10 * magnitude;
}

/**
 * One scale shared by all days: from the lowest known minimum to the highest known maximum,
 * widened to whole steps (about four of them). A single known value, or all days alike, gets a
 * step either side so its mark sits in the middle. Null when no day has a temperature.
 */
export function sharedScale(days: DayRange[]): TemperatureScale | null {
  const values = days.flatMap((day) => [day.min, day.max]).filter(known);
  if (values.length === 0) return null;
  const low = Math.min(...values);
  const high = Math.max(...values);
  const step = niceStep((high - low) / 4);
  let lower = Math.floor(low / step) * step;
  let upper = Math.ceil(high / step) * step;
  if (upper === lower) {
    lower -= step;
    upper += step;
  }
  const ticks: number[] = [];
  for (let tick = lower; tick <= upper + 1e-9; tick += step) ticks.push(round(tick));
  return { lower: round(lower), upper: round(upper), step, ticks };
}

/** A temperature's place on the scale, in percent (0 at the lower end, 100 at the upper). */
export function position(scale: TemperatureScale, value: number): number {
  const share = (value - scale.lower) / (scale.upper - scale.lower);
  return round(Math.min(1, Math.max(0, share)) * 100);
}

/**
 * A day's bar on the shared scale: from its minimum to its maximum. With one value unknown the
 * day gets a mark at the other; with both unknown, no bar (null). A minimum above the maximum is
 * taken the right way round.
 */
export function dayBar(scale: TemperatureScale | null, day: DayRange): Bar | null {
  if (!scale) return null;
  const values = [day.min, day.max].filter(known);
  if (values.length === 0) return null;
  const start = position(scale, Math.min(...values));
  const end = position(scale, Math.max(...values));
  return { start, end, point: values.length === 1 || start === end };
}

/** A temperature without needless decimals: 14, 13.5, -2. */
export function degrees(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** The range as text, the same numbers the bar shows: "10 to 14 °C", "max 14 °C" or "–". */
export function rangeText(day: DayRange): string {
  const min = known(day.min) ? day.min : null;
  const max = known(day.max) ? day.max : null;
  if (min !== null && max !== null) {
    const [low, high] = min <= max ? [min, max] : [max, min];
    return low === high ? `${degrees(low)} °C` : `${degrees(low)} to ${degrees(high)} °C`;
  }
  if (min !== null) return `min ${degrees(min)} °C`;
  if (max !== null) return `max ${degrees(max)} °C`;
  return DASH;
}

/** Two decimals at most, and never -0. */
function round(value: number): number {
  return Math.round(value * 100) / 100 + 0;
}
