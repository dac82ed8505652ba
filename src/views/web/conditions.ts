import type { ConditionsReport } from '../../aare/reports.schemas';
import { DANGER_SCALE, scaleStep } from './danger-scale';
import { h } from './dom';
import {
  celsius,
  DASH,
  duration,
  flow,
  millimetres,
  percent,
  phrase,
  swissDateTime,
  swissTime,
} from './format';
import { sourceFooter, staleNotice } from './view';

type Period = ConditionsReport['weather']['today']['morning'];

/** The BAFU scale with the current level marked and the flow each level starts at. */
export function dangerScale(level: number | null, source: string): Node {
  const current = scaleStep(level);
  return h(
    'section',
    { class: 'card wide', 'aria-labelledby': 'danger-title' },
    h('h2', { id: 'danger-title' }, 'BAFU danger level'),
    h(
      'p',
      { class: 'value' },
      current ? `Level ${current.level}: ${current.label}` : 'Level unknown (no flow data)',
    ),
    h(
      'div',
      { class: 'scale', role: 'list', 'aria-label': 'BAFU danger levels 1 to 5' },
      ...DANGER_SCALE.map((step) =>
        h(
          'div',
          {
            class: 'step',
            role: 'listitem',
            'aria-current': step.level === current?.level ? 'true' : null,
            style: `background:${step.fill};color:${step.ink}`,
            title: step.label,
          },
          h('strong', {}, String(step.level)),
          h('br'),
          // A no-break space keeps the sign with its number in a narrow step.
          step.minFlow ? `≥\u00a0${step.minFlow}` : `<\u00a0${DANGER_SCALE[1].minFlow}`,
          step.level === current?.level ? h('span', { class: 'visually-hidden' }, ' (now)') : '',
        ),
      ),
    ),
    h(
      'p',
      { class: 'sub' },
      source === 'upstream'
        ? "The level is BAFU's own for this station. The flows under the steps (m³/s, Bern's scale) are used only where aare.guru gives no level."
        : source === 'computed'
          ? 'aare.guru gives no level here: it is computed from the flow, with the thresholds under the steps (m³/s).'
          : 'No flow data: the level is unknown. Levels computed from the flow start at the thresholds under the steps (m³/s).',
    ),
  );
}

function periodRow(label: string, period: Period): Node {
  return h(
    'tr',
    {},
    h('th', { scope: 'row' }, label),
    h('td', {}, period ? phrase(period.description, period.descriptionEnglish) : DASH),
    h('td', { class: 'num' }, celsius(period?.airTemperature, 0)),
    h('td', { class: 'num' }, percent(period?.precipitationRiskPercent)),
  );
}

export function renderConditions(r: ConditionsReport): (Node | string)[] {
  const w = r.water;
  return [
    h(
      'header',
      {},
      h('h1', {}, `The Aare at ${r.name ?? r.city}`),
      h('span', { class: 'sub' }, `Measured ${swissDateTime(w.measuredAt)} (Swiss time)`),
    ),
    staleNotice(r.source) ?? '',
    h(
      'div',
      { class: 'grid' },
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'water-title' },
        h('h2', { id: 'water-title' }, 'Water'),
        h('p', { class: 'big' }, celsius(w.temperature)),
        h('p', {}, phrase(w.text, w.textEnglish)),
        h(
          'p',
          { class: 'sub' },
          `Last 24 h: ${celsius(r.last24h.minTemperature)} to ${celsius(r.last24h.maxTemperature)}`,
        ),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'flow-title' },
        h('h2', { id: 'flow-title' }, 'Flow'),
        h('p', { class: 'value' }, flow(w.flow)),
        h('p', {}, phrase(w.flowText, w.flowTextEnglish)),
        w.height !== null ? h('p', { class: 'sub' }, `Water level ${w.height} m a.s.l.`) : '',
      ),
      dangerScale(r.danger.level, r.danger.source),
      h(
        'section',
        { class: 'card wide', 'aria-labelledby': 'weather-title' },
        h('h2', { id: 'weather-title' }, 'Weather'),
        h(
          'p',
          {},
          `Air ${celsius(r.weather.now.airTemperature)}, rain ${millimetres(r.weather.now.precipitationMm)} in the last 10 min`,
        ),
        h(
          'table',
          {},
          h('caption', { class: 'visually-hidden' }, 'Weather today'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Today'),
              h('th', { scope: 'col' }, 'Sky'),
              h('th', { scope: 'col', class: 'num' }, 'Air'),
              h('th', { scope: 'col', class: 'num' }, 'Rain risk'),
            ),
          ),
          h(
            'tbody',
            {},
            periodRow('Morning', r.weather.today.morning),
            periodRow('Afternoon', r.weather.today.afternoon),
            periodRow('Evening', r.weather.today.evening),
          ),
        ),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'sun-title' },
        h('h2', { id: 'sun-title' }, 'Sun'),
        h(
          'p',
          {},
          r.sun.todayTotal ? `${r.sun.todayTotal} h of sunshine today` : 'Sunshine today unknown',
          r.sun.todayRelativePercent !== null ? ` (${percent(r.sun.todayRelativePercent)})` : '',
        ),
        r.sun.spots.length
          ? h(
              'dl',
              {},
              ...r.sun.spots.flatMap((spot) => [
                h('dt', {}, spot.name ?? DASH),
                h(
                  'dd',
                  {},
                  `sunset ${spot.sunsetLocal ?? swissTime(spot.sunset)}`,
                  spot.sunLeftSeconds !== null ? `, sun for ${duration(spot.sunLeftSeconds)}` : '',
                ),
              ]),
            )
          : '',
      ),
      r.bueber
        ? h(
            'section',
            { class: 'card', 'aria-labelledby': 'bueber-title' },
            h('h2', { id: 'bueber-title' }, 'Bueber (Marzili channel)'),
            h(
              'p',
              { class: 'value' },
              r.bueber.open === null ? 'Unknown' : r.bueber.open ? 'Open' : 'Closed',
            ),
            r.bueber.state ? h('p', {}, `«${r.bueber.state}»`) : '',
          )
        : '',
    ),
    sourceFooter(r.source),
  ];
}
