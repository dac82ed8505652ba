import { zurichOffsetMs } from '../../domain/history-dates';
import { swissDay, swissTime } from './format';

/**
 * The arithmetic of the line charts: scales, round tick steps, time ticks in Swiss time, the line's
 * path with gaps where values are missing, and where the extremes lie. No DOM: unit-tested alone.
 */

/** A point of a series as the reports carry it: seconds since the epoch, value or null. */
export interface SeriesPoint {
  timestamp: number;
  value: number | null;
}

/** A linear map from a domain onto a range; a domain of no width maps to the range's middle. */
export function linearScale(
  domain: readonly [number, number],
  range: readonly [number, number],
): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (value) => r0 + (value - d0) * k;
}

/** The smallest step of 1, 2 or 5 times a power of ten that covers `span` in at most `count` steps. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 5, 10]) {
    const step = factor * power;
    if (step >= raw * (1 - 1e-9)) return round(step);
  }
  return round(10 * power);
}

/** Drops floating-point noise (0.30000000000000004 → 0.3). */
function round(value: number): number {
  return Number.parseFloat(value.toPrecision(12));
}

export interface NiceTicks {
  /** The axis' ends: the data's range widened to whole steps. */
  lo: number;
  hi: number;
  step: number;
  ticks: number[];
  /** Decimals the step needs (0.2 → 1, 5 → 0). */
  decimals: number;
}

/**
 * Round tick values around [min, max], about `count` of them. A flat series (min = max) gets an
 * axis of ±1 around its value, so its line sits in the middle.
 */
export function niceTicks(min: number, max: number, count = 5): NiceTicks {
  let a = Math.min(min, max);
  let b = Math.max(min, max);
  if (a === b) {
    a -= 1;
    b += 1;
  }
  const step = niceStep(b - a, count);
  const lo = round(Math.floor(a / step + 1e-9) * step);
  const hi = round(Math.ceil(b / step - 1e-9) * step);
  const ticks: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) ticks.push(round(lo + i * step));
  return { lo, hi, step, ticks, decimals: decimalsOf(step) };
}

export function decimalsOf(step: number): number {
  return step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step) - 1e-9));
}

/**
 * The SVG path of a series: one sub-path per run of values, so a null leaves a gap rather than a
 * straight line across it. A value alone between gaps becomes a dot (a zero-length segment, drawn
 * by the round line cap). Empty when there is nothing to draw.
 */
export function linePath(
  points: readonly SeriesPoint[],
  x: (timestampSeconds: number) => number,
  y: (value: number) => number,
): string {
  const parts: string[] = [];
  let run = 0;
  for (const point of points) {
    if (!isValue(point.value) || !Number.isFinite(point.timestamp)) {
      if (run === 1) parts.push('h0');
      run = 0;
      continue;
    }
    parts.push(`${run === 0 ? 'M' : 'L'}${fixed(x(point.timestamp))} ${fixed(y(point.value))}`);
    run++;
  }
  if (run === 1) parts.push('h0');
  return parts.join('');
}

function fixed(value: number): string {
  return String(Math.round(value * 10) / 10);
}

export function isValue(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export interface Extremes {
  min: SeriesPoint & { value: number };
  max: SeriesPoint & { value: number };
}

/** The first point with the lowest value and the first with the highest; null without values. */
export function extremes(points: readonly SeriesPoint[]): Extremes | null {
  let min: Extremes['min'] | null = null;
  let max: Extremes['max'] | null = null;
  for (const point of points) {
    const value = point.value;
    if (!isValue(value) || !Number.isFinite(point.timestamp)) continue;
    if (!min || value < min.value) min = { timestamp: point.timestamp, value };
    if (!max || value > max.value) max = { timestamp: point.timestamp, value };
  }
  return min && max ? { min, max } : null;
}

/** How many points carry a value. */
export function valueCount(points: readonly SeriesPoint[]): number {
  return points.filter((point) => isValue(point.value)).length;
}

const HOUR = 3_600_000;
const TIME_STEPS = [1, 2, 3, 6, 12, 24, 48, 72, 168, 336].map((hours) => hours * HOUR);

export interface TimeTick {
  /** Milliseconds since the epoch. */
  at: number;
  /** "8 May" at Swiss midnight, else "12:00". */
  label: string;
}

/**
 * Ticks on a time axis from `startMs` to `endMs`, at most `maxTicks`, on round Swiss local hours
 * (every 1, 2, 3, 6 or 12 h, or at midnight every 1, 2, 3, 7 or 14 days). Midnights are labelled
 * with the day, other ticks with the time.
 */
export function timeTicks(startMs: number, endMs: number, maxTicks: number): TimeTick[] {
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || endMs <= startMs) return [];
  const limit = Math.max(1, Math.floor(maxTicks));
  const span = endMs - startMs;
  const step =
    TIME_STEPS.find((candidate) => span / candidate + 1 <= limit) ??
    TIME_STEPS[TIME_STEPS.length - 1] * Math.ceil(span / (limit * TIME_STEPS.at(-1)!));
  const ticks: TimeTick[] = [];
  // Walk in local time: align to the step from local midnight, then return to UTC per tick so a
  // change to or from summer time keeps ticks on round local hours.
  let local = Math.ceil((startMs + zurichOffsetMs(startMs)) / step) * step;
  for (let guard = 0; guard < 1000; guard++, local += step) {
    const at = local - zurichOffsetMs(local - zurichOffsetMs(local));
    if (at < startMs) continue;
    if (at > endMs) break;
    const midnight = local % (24 * HOUR) === 0;
    ticks.push({ at, label: midnight ? swissDay(at) : swissTime(at) });
  }
  return ticks;
}

/** A rectangle on the chart, in pixels: left, top, right, bottom. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** About how wide a label of 11 px bold system-font text is. */
export function textWidth(text: string, fontSize = 11): number {
  return text.length * fontSize * 0.6;
}

/** The box of a text label drawn at (x, baseline) with the given anchor. */
export function textBox(
  x: number,
  baseline: number,
  anchor: 'start' | 'end' | 'middle',
  width: number,
  fontSize = 11,
): Box {
  const x0 = anchor === 'start' ? x : anchor === 'end' ? x - width : x - width / 2;
  return { x0, y0: baseline - fontSize, x1: x0 + width, y1: baseline + 3 };
}

function overlaps(a: Box, b: Box): boolean {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

export interface MeanLabelPlace {
  x: number;
  /** Baseline of the text. */
  y: number;
  anchor: 'start' | 'end';
}

/**
 * Where the mean's label goes: along the dashed line, above or below it, wherever the fewest
 * points of the line and none of the other labels are under it. On a tie the ends win (right,
 * then left, above before below), then places nearer the right.
 */
export function placeMeanLabel(
  meanY: number,
  left: number,
  right: number,
  width: number,
  line: readonly { x: number; y: number }[],
  labels: readonly Box[] = [],
): MeanLabelPlace {
  const ends: MeanLabelPlace[] = [
    { x: right - 4, y: meanY - 5, anchor: 'end' },
    { x: left + 4, y: meanY - 5, anchor: 'start' },
    { x: right - 4, y: meanY + 15, anchor: 'end' },
    { x: left + 4, y: meanY + 15, anchor: 'start' },
  ];
  // Further places in between, every twelfth of the width, right to left.
  const inner: MeanLabelPlace[] = [];
  const room = right - left - 8 - width;
  for (let i = 11; i >= 1 && room > 0; i--) {
    const x = left + 4 + width + (room * i) / 12;
    inner.push({ x, y: meanY - 5, anchor: 'end' }, { x, y: meanY + 15, anchor: 'end' });
  }
  let best = ends[0];
  let bestScore = Infinity;
  for (const candidate of [...ends, ...inner]) {
    const box = textBox(candidate.x, candidate.y, candidate.anchor, width);
    const near = { x0: box.x0 - 3, y0: box.y0 - 3, x1: box.x1 + 3, y1: box.y1 + 3 };
    const hits = line.filter(
      (p) => p.x >= near.x0 && p.x <= near.x1 && p.y >= near.y0 && p.y <= near.y1,
    );
    const score = hits.length + 1000 * labels.filter((label) => overlaps(label, near)).length;
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}
