import type { HistoryReport } from '../../aare/reports.schemas';
import {
  extremes,
  isValue,
  linearScale,
  linePath,
  placeMeanLabel,
  niceTicks,
  type SeriesPoint,
  textBox,
  textWidth,
  timeTicks,
} from './chart';
import { h, s } from './dom';
import { celsius, DASH, flow, swissDateTime, TREND_ARROWS, TREND_WORDS } from './format';
import { sourceFooter, staleNotice } from './view';

type Series = HistoryReport['temperature'];
type Summary = Series['summary'];

interface SeriesStyle {
  id: string;
  /** "Water temperature", as headings and labels say it. */
  title: string;
  /** "temperature", inside a sentence. */
  noun: string;
  unit: string;
  colour: string;
  format: (value: number | null) => string;
}

const TEMPERATURE: SeriesStyle = {
  id: 'temperature',
  title: 'Water temperature',
  noun: 'temperature',
  unit: '°C',
  colour: 'var(--accent)',
  format: (value) => celsius(value, 2),
};

const FLOW: SeriesStyle = {
  id: 'flow',
  title: 'Flow',
  noun: 'flow',
  unit: 'm³/s',
  colour: 'var(--flow)',
  format: (value) => flow(value),
};

const HEIGHT = 220;
const MARGIN = { top: 14, right: 18, bottom: 26, left: 44 };
/** Room inside the plot so the labels of the extremes stay clear of the edges. */
const INSET = 18;

/** Milliseconds since the epoch from an ISO string, or null. */
function millis(iso: string): number | null {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

/** The time range the x axis spans: the report's, widened to any point outside it. */
function timeDomain(report: HistoryReport, points: readonly SeriesPoint[]): [number, number] {
  const times = points.map((p) => p.timestamp * 1000).filter(Number.isFinite);
  const start = millis(report.start) ?? Math.min(...times);
  const end = millis(report.end) ?? Math.max(...times);
  return [Math.min(start, ...times), Math.max(end, ...times)];
}

/** One chart drawn for a given pixel width. */
function drawChart(
  report: HistoryReport,
  series: Series,
  style: SeriesStyle,
  width: number,
  label: string,
): SVGElement {
  const points = series.points;
  const marks = extremes(points)!;
  const mean = isValue(series.summary.mean) ? series.summary.mean : null;
  const left = MARGIN.left;
  const right = width - MARGIN.right;
  const top = MARGIN.top;
  const bottom = HEIGHT - MARGIN.bottom;

  const lowest = Math.min(marks.min.value, mean ?? marks.min.value);
  const highest = Math.max(marks.max.value, mean ?? marks.max.value);
  const yTicks = niceTicks(lowest, highest, 6);
  const y = linearScale([yTicks.lo, yTicks.hi], [bottom - INSET, top + INSET]);
  const [t0, t1] = timeDomain(report, points);
  const xMs = linearScale([t0, t1], [left, right]);
  const x = (seconds: number) => xMs(seconds * 1000);
  const xTicks = timeTicks(t0, t1, Math.max(2, Math.floor((right - left) / 64)));

  const grid = yTicks.ticks.map((tick) =>
    s(
      'g',
      { class: 'tick' },
      s('line', { x1: left, x2: right, y1: y(tick), y2: y(tick), class: 'grid' }),
      s(
        'text',
        { x: left - 6, y: y(tick), 'text-anchor': 'end', 'dominant-baseline': 'middle' },
        tick.toFixed(yTicks.decimals),
      ),
    ),
  );
  const times = xTicks.map((tick) =>
    s(
      'g',
      { class: 'tick' },
      s('line', { x1: xMs(tick.at), x2: xMs(tick.at), y1: bottom, y2: bottom + 4, class: 'axis' }),
      s('text', { x: xMs(tick.at), y: bottom + 16, 'text-anchor': 'middle' }, tick.label),
    ),
  );

  // The extremes: max labelled above its point, min below, so the line never runs under them.
  const extremeMarks = (['min', 'max'] as const).map((kind) => {
    const point = marks[kind];
    const px = x(point.timestamp);
    const py = y(point.value);
    const onRight = px > (left + right) / 2;
    const text = `${kind} ${style.format(point.value)}`;
    const tx = px + (onRight ? -7 : 7);
    const ty = kind === 'max' ? py - 8 : py + 15;
    const anchor = onRight ? 'end' : 'start';
    return {
      box: textBox(tx, ty, anchor, textWidth(text)),
      node: s(
        'g',
        { class: `extreme ${kind}` },
        s('circle', { cx: px, cy: py, r: 4, stroke: style.colour }),
        s('text', { x: tx, y: ty, 'text-anchor': anchor, class: 'halo' }, text),
      ),
    };
  });

  let meanMark: SVGElement | string = '';
  if (mean !== null) {
    const text = `mean ${style.format(mean)}`;
    const line = points.flatMap((p) =>
      isValue(p.value) ? [{ x: x(p.timestamp), y: y(p.value) }] : [],
    );
    const place = placeMeanLabel(
      y(mean),
      left,
      right,
      textWidth(text),
      line,
      extremeMarks.map((mark) => mark.box),
    );
    meanMark = s(
      'g',
      { class: 'mean' },
      s('line', { x1: left, x2: right, y1: y(mean), y2: y(mean), stroke: style.colour }),
      s('text', { x: place.x, y: place.y, 'text-anchor': place.anchor, class: 'halo' }, text),
    );
  }

  return s(
    'svg',
    {
      role: 'img',
      'aria-label': label,
      viewBox: `0 0 ${width} ${HEIGHT}`,
      width,
      height: HEIGHT,
      class: `chart ${style.id}`,
    },
    s('g', { class: 'grid-lines' }, ...grid),
    s('line', { x1: left, x2: right, y1: bottom, y2: bottom, class: 'axis' }),
    s('g', { class: 'time-ticks' }, ...times),
    s('text', { x: left - 6, y: top - 2, 'text-anchor': 'end', class: 'unit' }, style.unit),
    s('path', {
      d: linePath(points, x, y),
      class: 'line',
      stroke: style.colour,
    }),
    meanMark,
    ...extremeMarks.map((mark) => mark.node),
  );
}

/** What the chart shows, in words, for its aria-label. */
function chartLabel(report: HistoryReport, series: Series, style: SeriesStyle): string {
  const { summary, points } = series;
  const missing = points.filter((p) => !isValue(p.value)).length;
  return (
    `${style.title} from ${swissDateTime(report.start)} to ${swissDateTime(report.end)} ` +
    `(Swiss time): minimum ${style.format(summary.min)}, maximum ${style.format(summary.max)}, ` +
    `mean ${style.format(summary.mean)}, ${TREND_WORDS[summary.trend]}` +
    (missing ? `; ${missing} of ${points.length} readings missing.` : '.')
  );
}

/** A card with the chart of one series, redrawn to the card's width; or a sentence when empty. */
function chartCard(report: HistoryReport, series: Series, style: SeriesStyle): Node {
  const titleId = `${style.id}-title`;
  const heading = h('h2', { id: titleId }, `${style.title} (${style.unit})`);
  if (!extremes(series.points)) {
    return h(
      'section',
      { class: 'card wide', 'aria-labelledby': titleId },
      heading,
      h('p', { class: 'empty' }, `No ${style.noun} data in this range.`),
    );
  }
  const label = chartLabel(report, series, style);
  const missing = series.points.some((p) => !isValue(p.value));
  const figure = h(
    'figure',
    { class: 'chart-figure' },
    drawChart(report, series, style, 640, label),
    h(
      'figcaption',
      { class: 'sub' },
      'Dashed line: the mean over the range; dots: the lowest and highest readings.',
      missing ? ' Gaps in the line: no reading.' : '',
    ),
  );
  // Drawn again at the width it gets, so its text keeps its size on a narrow screen.
  let drawnWidth = 640;
  if (typeof ResizeObserver === 'function') {
    new ResizeObserver(() => {
      const width = Math.round(figure.clientWidth);
      if (width < 120 || Math.abs(width - drawnWidth) < 1) return;
      drawnWidth = width;
      figure.firstElementChild!.replaceWith(drawChart(report, series, style, width, label));
    }).observe(figure);
  }
  return h('section', { class: 'card wide', 'aria-labelledby': titleId }, heading, figure);
}

function summaryRow(name: string, summary: Summary, style: SeriesStyle): Node {
  return h(
    'tr',
    {},
    h('th', { scope: 'row' }, name),
    h('td', { class: 'num' }, String(summary.count)),
    h('td', { class: 'num' }, style.format(summary.min)),
    h('td', { class: 'num' }, style.format(summary.max)),
    h('td', { class: 'num' }, style.format(summary.mean)),
    h('td', { class: 'num' }, style.format(summary.first)),
    h('td', { class: 'num' }, style.format(summary.last)),
    h('td', {}, `${TREND_ARROWS[summary.trend]} ${TREND_WORDS[summary.trend]}`),
  );
}

function summaryTable(report: HistoryReport): Node {
  const columns = ['Count', 'Min', 'Max', 'Mean', 'First', 'Last'];
  return h(
    'section',
    { class: 'card wide', 'aria-labelledby': 'summary-title' },
    h('h2', { id: 'summary-title' }, 'Summary'),
    h(
      'div',
      { class: 'scroll', tabindex: 0, role: 'region', 'aria-labelledby': 'summary-title' },
      h(
        'table',
        { class: 'summary' },
        h('caption', { class: 'visually-hidden' }, 'Temperature and flow over the range'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Series'),
            ...columns.map((column) => h('th', { scope: 'col', class: 'num' }, column)),
            h('th', { scope: 'col' }, 'Trend'),
          ),
        ),
        h(
          'tbody',
          {},
          summaryRow('Temperature', report.temperature.summary, TEMPERATURE),
          summaryRow('Flow', report.flow.summary, FLOW),
        ),
      ),
    ),
  );
}

/** "bern" → "Bern". */
function cityName(city: string): string {
  return city ? city.charAt(0).toUpperCase() + city.slice(1) : DASH;
}

export function renderHistory(r: HistoryReport): (Node | string)[] {
  const every = r.granularity.label || DASH;
  return [
    h(
      'header',
      {},
      h('h1', {}, `Aare history: ${cityName(r.city)}`),
      h(
        'span',
        { class: 'sub' },
        `${swissDateTime(r.start)} – ${swissDateTime(r.end)} (Swiss time)`,
      ),
      h('span', { class: 'badge' }, `One point every ${every}`),
    ),
    staleNotice(r.source) ?? '',
    r.downsampled
      ? h(
          'div',
          { class: 'note', role: 'note' },
          `The series were averaged to one point every ${every} to keep the answer readable.`,
        )
      : '',
    h(
      'div',
      { class: 'grid' },
      chartCard(r, r.temperature, TEMPERATURE),
      chartCard(r, r.flow, FLOW),
      summaryTable(r),
    ),
    sourceFooter(r.source),
  ];
}
