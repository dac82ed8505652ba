import type { ForecastReport, WeatherDay, WeatherPeriod } from '../../aare/reports.schemas';
import { dayBar, position, rangeText, sharedScale, type TemperatureScale } from './day-bars';
import { h, s } from './dom';
import {
  celsius,
  DASH,
  millimetres,
  percent,
  phrase,
  swissDateTime,
  swissDay,
  TREND_ARROWS,
  TREND_WORDS,
} from './format';
import { sourceFooter, staleNotice } from './view';

type Sunshine = ForecastReport['sunshine'][number];

/** A table with a hidden caption and column headers; the first column holds row headers. */
function table(caption: string, columns: [string, string?][], rows: Node[]): Node {
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      {},
      h('caption', { class: 'visually-hidden' }, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...columns.map(([label, className]) =>
            h('th', { scope: 'col', class: className ?? null }, label),
          ),
        ),
      ),
      h('tbody', {}, ...rows),
    ),
  );
}

/** Rain risk, and below it the amount. */
function rainCell(
  period: Pick<WeatherPeriod, 'precipitationRiskPercent' | 'precipitationMm'> | null,
): Node {
  return h(
    'td',
    { class: 'num' },
    percent(period?.precipitationRiskPercent),
    h('br'),
    h('span', { class: 'sub' }, millimetres(period?.precipitationMm)),
  );
}

function sky(period: Pick<WeatherPeriod, 'description' | 'descriptionEnglish'> | null): string {
  return period ? phrase(period.description, period.descriptionEnglish) : DASH;
}

function periodRow(label: string, period: WeatherPeriod | null): Node {
  return h(
    'tr',
    {},
    h('th', { scope: 'row' }, label),
    h('td', {}, sky(period)),
    h('td', { class: 'num' }, celsius(period?.airTemperature, 0)),
    rainCell(period),
  );
}

/**
 * A horizontal bar from `start` to `end` percent of the width, or a mark where they meet, over a
 * track notched at `notches` (percent).
 */
function percentBar(
  label: string,
  start: number,
  end: number,
  point: boolean,
  notches: number[] = [],
): SVGElement {
  return s(
    'svg',
    { class: 'bar-track', role: 'img', 'aria-label': label, width: '100%', height: 14 },
    s('rect', { class: 'track', x: '0', y: 4, width: '100%', height: 6, rx: 3 }),
    point
      ? s('circle', { class: 'bar', cx: `${start}%`, cy: 7, r: 5 })
      : s('rect', {
          class: 'bar',
          x: `${start}%`,
          y: 2,
          width: `${end - start}%`,
          height: 10,
          rx: 5,
        }),
    // Over the bar, so the notches show where the bar covers them.
    ...notches.map((x) => s('line', { class: 'notch', x1: `${x}%`, x2: `${x}%`, y1: 1, y2: 13 })),
  );
}

function dayName(english: string | null, swissGerman: string | null): string {
  return english ?? swissGerman ?? DASH;
}

function dayRow(day: WeatherDay, scale: TemperatureScale | null): Node {
  const range = { min: day.airTemperatureMin, max: day.airTemperatureMax };
  const bar = dayBar(scale, range);
  const text = rangeText(range);
  const name = dayName(day.dayEnglish, day.day);
  const details = [day.day && day.day !== day.dayEnglish ? day.day : null, swissDay(day.date)];
  return h(
    'tr',
    {},
    h(
      'th',
      { scope: 'row' },
      name,
      h('br'),
      h('span', { class: 'sub' }, details.filter(Boolean).join(' · ')),
      h('br'),
      h('span', { class: 'sky' }, sky(day)),
    ),
    h(
      'td',
      { class: 'air' },
      h('span', { class: 'range-text' }, text),
      bar && scale
        ? h(
            'div',
            { class: 'range' },
            percentBar(
              `${name}: ${text}, on a scale from ${scale.lower} to ${scale.upper} °C`,
              bar.start,
              bar.end,
              bar.point,
              scale.ticks.slice(1, -1).map((tick) => position(scale, tick)),
            ),
          )
        : '',
    ),
    rainCell(day),
  );
}

function comingDays(days: WeatherDay[]): Node {
  const scale = sharedScale(
    days.map((d) => ({ min: d.airTemperatureMin, max: d.airTemperatureMax })),
  );
  return h(
    'section',
    { class: 'card wide', 'aria-labelledby': 'days-title' },
    h('h2', { id: 'days-title' }, 'Coming days'),
    days.length
      ? table(
          'Weather of the coming days',
          [['Day and sky'], ['Air', 'air'], ['Rain', 'num']],
          days.map((day) => dayRow(day, scale)),
        )
      : h('p', { class: 'muted' }, 'No forecast for the coming days.'),
    scale
      ? h(
          'p',
          { class: 'sub' },
          `Bars: each day's lowest to highest air temperature, all on one scale from ${scale.lower}\u00a0°C to ${scale.upper}\u00a0°C, notched every ${scale.step}\u00a0°C. Rain: risk, then amount.`,
        )
      : '',
  );
}

function sunshineRow(sun: Sunshine): Node {
  const today = sun.day === 'today' || sun.dayEnglish === 'today';
  const relative = sun.relativePercent;
  const share =
    typeof relative === 'number' && Number.isFinite(relative)
      ? Math.min(100, Math.max(0, relative))
      : null;
  return h(
    'tr',
    {},
    h(
      'th',
      { scope: 'row' },
      today ? 'Today' : dayName(sun.dayEnglish, sun.day),
      ...(!today && sun.day && sun.day !== sun.dayEnglish
        ? [h('br'), h('span', { class: 'sub' }, sun.day)]
        : []),
    ),
    h('td', { class: 'num' }, sun.total ? `${sun.total} h` : DASH),
    h(
      'td',
      { class: 'num share' },
      percent(relative),
      share !== null
        ? h(
            'div',
            { class: 'range' },
            percentBar(`${percent(relative)} of the possible sunshine`, 0, share, share === 0),
          )
        : '',
    ),
  );
}

export function renderForecast(r: ForecastReport): (Node | string)[] {
  const w = r.water;
  return [
    h(
      'header',
      {},
      h('h1', {}, `Aare forecast for ${r.name ?? r.city}`),
      h('span', { class: 'sub' }, `Water measured ${swissDateTime(w.measuredAt)} (Swiss time)`),
    ),
    staleNotice(r.source) ?? '',
    h(
      'div',
      { class: 'grid forecast' },
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'water-title' },
        h('h2', { id: 'water-title' }, 'Water'),
        h('span', { class: 'sub' }, 'Now'),
        h('p', { class: 'big' }, celsius(w.now)),
        h(
          'p',
          { class: 'value then' },
          h('span', { class: 'trend-arrow', 'aria-hidden': 'true' }, TREND_ARROWS[w.trend]),
          ' ',
          celsius(w.in2h),
          ' ',
          h('span', { class: 'sub' }, 'in 2 hours'),
        ),
        h(
          'p',
          {},
          h(
            'span',
            { class: 'badge' },
            w.trend === 'unknown' ? 'Trend unknown' : `Trend: ${TREND_WORDS[w.trend]}`,
          ),
        ),
        h('p', {}, phrase(w.text, w.textEnglish)),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'today-title' },
        h('h2', { id: 'today-title' }, 'Weather today'),
        table(
          'Weather today by period',
          [['Today'], ['Sky'], ['Air', 'num'], ['Rain', 'num']],
          [
            periodRow('Morning', r.weatherToday.morning),
            periodRow('Afternoon', r.weatherToday.afternoon),
            periodRow('Evening', r.weatherToday.evening),
          ],
        ),
      ),
      comingDays(r.nextDays),
      h(
        'section',
        { class: 'card wide', 'aria-labelledby': 'sun-title' },
        h('h2', { id: 'sun-title' }, 'Sunshine'),
        r.sunshine.length
          ? table(
              'Expected sunshine per day',
              [['Day'], ['Hours', 'num'], ['Of possible', 'num']],
              r.sunshine.map(sunshineRow),
            )
          : h('p', { class: 'muted' }, DASH),
      ),
    ),
    sourceFooter(r.source),
  ];
}
