import type { ComparisonReport } from '../../aare/reports.schemas';
import {
  type Direction,
  needsDate,
  nextSort,
  type SortState,
  type SortValue,
  sortBy,
} from './compare-table';
import { scaleStep } from './danger-scale';
import { h, s } from './dom';
import { celsius, DASH, swissDateTime, swissTime } from './format';
import {
  fitProjection,
  labelSize,
  linePath,
  placeLabels,
  position,
  upstreamOrder,
  UPSTREAM_ORDER,
} from './station-map';
import { sourceFooter, staleNotice } from './view';

type City = ComparisonReport['cities'][number];
type ColumnKey = 'city' | 'temperature' | 'flow' | 'level' | 'measuredAt';

interface Column {
  key: ColumnKey;
  title: string;
  numeric: boolean;
  first: Direction;
  value: (city: City) => SortValue;
}

const COLUMNS: readonly Column[] = [
  { key: 'city', title: 'City', numeric: false, first: 'ascending', value: (c) => displayName(c) },
  {
    key: 'temperature',
    title: 'Water °C',
    numeric: true,
    first: 'descending',
    value: (c) => c.temperature,
  },
  { key: 'flow', title: 'Flow m³/s', numeric: true, first: 'descending', value: (c) => c.flow },
  {
    key: 'level',
    title: 'BAFU level',
    numeric: false,
    first: 'descending',
    value: (c) => c.danger.level,
  },
  {
    key: 'measuredAt',
    title: 'Measured',
    numeric: true,
    first: 'descending',
    value: (c) => (c.measuredAt ? Date.parse(c.measuredAt) : null),
  },
];

function displayName(city: City): string {
  return city.name ?? city.city;
}

function number(value: number | null, digits: number): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : DASH;
}

/** The BAFU level as a chip in the level's colour, with its number and label in words. */
function levelChip(city: City): Node {
  const step = scaleStep(city.danger.level);
  const label = city.danger.label || (step ? step.label : 'unknown');
  return h(
    'span',
    { class: 'level-cell' },
    step
      ? h(
          'span',
          { class: 'chip', style: `background:${step.fill};color:${step.ink}` },
          String(step.level),
        )
      : h('span', { class: 'chip chip-unknown' }, DASH),
    ' ',
    h('span', {}, label),
    city.danger.source === 'computed' ? h('span', { class: 'sub' }, ' (from the flow)') : '',
  );
}

const BADGES: readonly { key: 'warmest' | 'coldest' | 'safest'; text: string }[] = [
  { key: 'warmest', text: 'warmest' },
  { key: 'coldest', text: 'coldest' },
  { key: 'safest', text: 'safest' },
];

function row(city: City, report: ComparisonReport, measuredAll: (string | null)[]): Node {
  const badges = BADGES.filter((b) => report[b.key] === city.city).map((b) =>
    h('span', { class: `badge badge-${b.key}` }, b.text),
  );
  const nameCell = h(
    'th',
    { scope: 'row' },
    h('span', { class: 'name' }, displayName(city)),
    ' ',
    h('span', { class: 'sub id' }, city.city),
    badges.length
      ? h(
          'span',
          { class: 'badges' },
          ...badges.flatMap((badge, i) => (i ? [' ', badge] : [badge])),
        )
      : '',
  );
  if (city.error) {
    return h(
      'tr',
      { 'data-city': city.city, class: 'failed' },
      nameCell,
      h('td', { colspan: 4, class: 'row-error' }, city.error),
    );
  }
  const measured = needsDate(city.measuredAt, measuredAll)
    ? swissDateTime(city.measuredAt)
    : swissTime(city.measuredAt);
  return h(
    'tr',
    { 'data-city': city.city },
    nameCell,
    h('td', { class: 'num' }, number(city.temperature, 1)),
    h('td', { class: 'num' }, number(city.flow, 0)),
    h('td', {}, levelChip(city)),
    h('td', { class: 'num measured' }, measured),
  );
}

/** The cities' table; its header buttons sort it. */
function cityTable(report: ComparisonReport): Node[] {
  const measuredAll = report.cities.map((c) => c.measuredAt);
  const tbody = h('tbody', {});
  // Sorting redraws the rows: they are not read out again, the new order is said in one line.
  const said = h('p', { class: 'visually-hidden', role: 'status' });
  let state: SortState<ColumnKey> | null = null;
  const headers = new Map<ColumnKey, HTMLTableCellElement>();
  const arrows = new Map<ColumnKey, HTMLElement>();

  const draw = () => {
    const column = state && COLUMNS.find((c) => c.key === state!.key);
    const cities =
      state && column ? sortBy(report.cities, column.value, state.direction) : report.cities;
    tbody.replaceChildren(...cities.map((city) => row(city, report, measuredAll)));
    for (const c of COLUMNS) {
      const th = headers.get(c.key)!;
      const active = state?.key === c.key;
      if (active) th.setAttribute('aria-sort', state!.direction);
      else th.removeAttribute('aria-sort');
      arrows.get(c.key)!.textContent = active
        ? state!.direction === 'ascending'
          ? '▲'
          : '▼'
        : '↕';
    }
  };

  const headerRow = h(
    'tr',
    {},
    ...COLUMNS.map((c) => {
      const arrow = h('span', { class: 'arrow', 'aria-hidden': 'true' }, '↕');
      const button = h('button', { type: 'button', class: 'sort' }, c.title, ' ', arrow);
      button.addEventListener('click', () => {
        state = nextSort(state, c.key, c.first);
        draw();
        said.textContent = `Sorted by ${c.title}, ${state.direction}.`;
      });
      const th = h('th', { scope: 'col', class: c.numeric ? 'num' : null }, button);
      headers.set(c.key, th);
      arrows.set(c.key, arrow);
      return th;
    }),
  );
  draw();
  const note = h(
    'p',
    { class: 'sub table-note' },
    'Ranked warmest first, cities without data last; the column headings sort. Times are Swiss time.',
  );
  return [
    h(
      'div',
      { class: 'scroll', tabindex: 0, role: 'region', 'aria-labelledby': 'table-title' },
      h(
        'table',
        { class: 'compare' },
        h('caption', { class: 'visually-hidden' }, 'The cities compared'),
        h('thead', {}, headerRow),
        tbody,
      ),
    ),
    note,
    said,
  ];
}

const MAP = { width: 360, height: 330, padding: 28 };
const RADIUS = 10;
const FONT = 13;
const LINE = 15;

/** The stations drawn where their coordinates put them, with the Aare from station to station. */
function stationMap(report: ComparisonReport): Node {
  const located = report.cities.flatMap((city) => {
    const at = position(city.coordinates);
    return at ? [{ city: city.city, lat: at.lat, lon: at.lon, entry: city }] : [];
  });
  const missing = report.cities.filter((city) => !position(city.coordinates));
  const note = missing.length
    ? h(
        'p',
        { class: 'sub', id: 'map-missing' },
        `Not on the map (no position known): ${missing.map((c) => `${displayName(c)} (${c.city})`).join(', ')}.`,
      )
    : '';
  if (!located.length) {
    return h(
      'section',
      { class: 'card map-card', 'aria-labelledby': 'map-title' },
      h('h2', { id: 'map-title' }, 'Stations along the Aare'),
      h('p', { class: 'muted' }, 'No station has a known position.'),
      note,
    );
  }
  const stations = upstreamOrder(located);
  const project = fitProjection(stations, MAP);
  const points = stations.map(project);
  // The river runs only through the stations whose place on it is known.
  const onRiver = stations.flatMap((st, i) => (UPSTREAM_ORDER.includes(st.city) ? [i] : []));
  const offRiver = stations.length - onRiver.length;
  const lines = stations.map((st) => [displayName(st.entry), celsius(st.entry.temperature)]);
  const labels = placeLabels(
    points,
    lines.map((l) => labelSize(l, FONT, LINE)),
    MAP,
    RADIUS,
  );
  const described = stations
    .map((st) => `${displayName(st.entry)} ${celsius(st.entry.temperature)}`)
    .join(', ');
  const svg = s(
    'svg',
    {
      viewBox: `0 0 ${MAP.width} ${MAP.height}`,
      role: 'img',
      'aria-label': `Schematic map of ${stations.length} station${stations.length === 1 ? '' : 's'} along the Aare, upstream to downstream: ${described}.`,
      class: 'station-map',
    },
    s('title', {}, 'Schematic map of the stations along the Aare'),
    onRiver.length > 1
      ? s('path', { class: 'river', d: linePath(onRiver.map((i) => points[i])) })
      : '',
    s(
      'g',
      { class: 'north', transform: 'translate(16 22)' },
      s('path', { d: 'M0 -14 L5 0 L-5 0 Z' }),
      s('text', { y: 13, 'text-anchor': 'middle' }, 'N'),
    ),
    ...stations.map((st, i) => {
      const step = scaleStep(st.entry.danger.level);
      const p = points[i];
      const label = labels[i];
      return s(
        'g',
        { class: 'station', 'data-city': st.city },
        s('circle', {
          cx: round(p.x),
          cy: round(p.y),
          r: RADIUS,
          style: step ? `fill:${step.fill}` : null,
          class: step ? null : 'unknown-level',
        }),
        s(
          'text',
          {
            class: 'level',
            x: round(p.x),
            y: round(p.y),
            'text-anchor': 'middle',
            'dominant-baseline': 'central',
            style: step ? `fill:${step.ink}` : null,
          },
          step ? String(step.level) : DASH,
        ),
        s(
          'text',
          {
            class: 'label',
            x: round(label.x),
            y: round(label.rect.y + LINE - 3),
            'text-anchor': label.anchor,
          },
          s('tspan', { class: 'label-name' }, lines[i][0]),
          s('tspan', { x: round(label.x), dy: LINE }, lines[i][1]),
        ),
      );
    }),
  );
  return h(
    'section',
    { class: 'card map-card', 'aria-labelledby': 'map-title' },
    h('h2', { id: 'map-title' }, 'Stations along the Aare'),
    h(
      'figure',
      {},
      svg,
      h(
        'figcaption',
        { class: 'sub' },
        'Schematic map: each station where its coordinates put it (north up)',
        onRiver.length > 1
          ? `, the Aare drawn straight from station to station, from ${displayName(stations[onRiver[0]].entry)} downstream`
          : '',
        offRiver
          ? `; ${offRiver === 1 ? 'a station' : 'stations'} whose place on the river is not known, without the line`
          : '',
        '. Circles show the BAFU level in its colour; the table above has the same numbers.',
      ),
    ),
    note,
  );
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function summary(report: ComparisonReport): Node {
  const find = (id: string | null) => report.cities.find((c) => c.city === id);
  const warmest = find(report.warmest);
  const coldest = find(report.coldest);
  const safest = find(report.safest);
  const parts = [
    warmest ? `Warmest: ${displayName(warmest)} ${celsius(warmest.temperature)}` : null,
    coldest ? `coldest: ${displayName(coldest)} ${celsius(coldest.temperature)}` : null,
    safest ? `safest: ${displayName(safest)}` : null,
  ].filter((p): p is string => p !== null);
  return h('p', { class: 'summary' }, parts.length ? `${parts.join('; ')}.` : DASH);
}

export function renderCompare(report: ComparisonReport): (Node | string)[] {
  return [
    h(
      'header',
      {},
      h('h1', {}, 'The Aare, city by city'),
      h(
        'span',
        { class: 'sub' },
        `${report.cities.length} ${report.cities.length === 1 ? 'city' : 'cities'}`,
      ),
    ),
    staleNotice(report.source) ?? '',
    summary(report),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'table-title' },
      h('h2', { id: 'table-title' }, 'Water, flow and danger'),
      ...cityTable(report),
    ),
    stationMap(report),
    sourceFooter(report.source),
  ];
}
