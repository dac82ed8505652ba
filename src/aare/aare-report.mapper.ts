import { normaliseCityId, type History } from '../aareguru/aareguru.service';
import { UnknownCityError } from '../aareguru/aareguru.errors';
import type { Cached } from '../aareguru/cache/upstream-cache.service';
import type { City, Current, Widget, WidgetCity } from '../aareguru/aareguru.schemas';
import {
  assessDangerLevel,
  DANGER_LEVEL_LABELS,
  DangerAssessment,
  FLOW_THRESHOLDS,
  safetyAdvice,
} from '../domain/danger-level';
import { explainPhrase } from '../domain/swiss-german';
import { temperatureTrend } from '../domain/temperature-trend';
import { freshnessOf, isoFromUnix, last24h, weatherNextDays, weatherToday } from './report-mapping';
import type {
  CityList,
  ComparisonReport,
  ConditionsReport,
  DangerReport,
  ForecastReport,
  HistoryReport,
  TemperatureReport,
} from './reports.schemas';

/**
 * The Aare reports, built from upstream answers as the cache serves them. Pure: everything a
 * report says comes from its arguments (freshness from the answers' own fetch times), so each
 * mapping is tested on recorded payloads without a clock, a cache or Nest.
 */

/** Below this the water counts as cold and a warmer city is suggested. */
export const COLD_WATER_CELSIUS = 16;

/** Whether a temperature report should suggest a warmer city (and so needs /widget). */
export function isColdWater(temperature: number | null | undefined): boolean {
  return typeof temperature === 'number' && temperature < COLD_WATER_CELSIUS;
}

/**
 * @param widget every city's headline values, for the warmer alternative; null when the water
 *   is not cold or /widget is unavailable.
 */
export function temperatureReport(
  city: string,
  current: Cached<Current>,
  widget: Cached<Widget> | null,
): TemperatureReport {
  const aare = current.value.aare;
  const temperature = aare?.temperature ?? null;
  return {
    city,
    name: aare?.location ?? null,
    temperature,
    temperaturePrecise: aare?.temperature_prec ?? null,
    text: aare?.temperature_text ?? null,
    textShort: aare?.temperature_text_short ?? null,
    textEnglish: explainPhrase(aare?.temperature_text),
    measuredAt: isoFromUnix(aare?.timestamp),
    measuredAtLocal: aare?.timestring ?? null,
    forecast2h: aare?.forecast2h ?? null,
    trend: temperatureTrend(temperature, aare?.forecast2h),
    warmerAlternative: widget ? warmestOther(widget.value, city, temperature) : null,
    source: freshnessOf(current),
  };
}

/** @param widget for BAFU's danger level; null when /widget is unavailable (level from flow). */
export function conditionsReport(
  city: string,
  current: Cached<Current>,
  widget: Cached<Widget> | null,
): ConditionsReport {
  const { aare, weather, sun, bueber } = current.value;
  const danger = assessDangerLevel({
    upstreamLevel: widget?.value.values[city]?.flow_gefahrenstufe,
    flow: aare?.flow,
  });
  return {
    city,
    name: aare?.location ?? null,
    water: {
      temperature: aare?.temperature ?? null,
      temperaturePrecise: aare?.temperature_prec ?? null,
      text: aare?.temperature_text ?? null,
      textShort: aare?.temperature_text_short ?? null,
      textEnglish: explainPhrase(aare?.temperature_text),
      flow: aare?.flow ?? null,
      flowText: aare?.flow_text ?? null,
      flowTextEnglish: explainPhrase(aare?.flow_text),
      height: aare?.height ?? null,
      measuredAt: isoFromUnix(aare?.timestamp),
      measuredAtLocal: aare?.timestring ?? null,
    },
    danger: dangerOf(danger),
    weather: {
      now: {
        airTemperature: weather?.current?.tt ?? null,
        precipitationMm: weather?.current?.rrreal ?? weather?.current?.rr ?? null,
        measuredAt: isoFromUnix(weather?.current?.timestamp),
      },
      today: weatherToday(current.value),
    },
    sun: {
      todayTotal: sun?.today?.suntotal ?? null,
      todayRelativePercent: sun?.today?.sunrelative ?? null,
      spots: (sun?.sunlocations ?? []).map((spot) => ({
        name: spot.name,
        sunset: isoFromUnix(spot.sunset),
        sunsetLocal: spot.sunsetlocal,
        sunLeft: spot.timeleftstring,
        sunLeftSeconds: spot.timeleft,
      })),
    },
    bueber: bueber
      ? { open: bueber.state_open_flag, state: bueber.state, since: isoFromUnix(bueber.time) }
      : null,
    last24h: last24h(current.value),
    source: widget ? freshnessOf(current, widget) : freshnessOf(current),
  };
}

export function cityListReport(cities: Cached<City[]>): CityList {
  return {
    cities: cities.value.map((c) => ({
      id: c.city,
      name: c.name,
      longName: c.longname,
      coordinates: c.coordinates,
      temperature: c.aare,
      measuredAt: isoFromUnix(c.time),
    })),
    source: freshnessOf(cities),
  };
}

/** Flow and BAFU level from /widget, the only endpoint that carries the level. */
export function dangerReportFromWidget(city: string, widget: Cached<Widget>): DangerReport {
  return dangerReport(city, widget.value.values[city], widgetCityName(widget.value, city), widget);
}

/** When /widget is unavailable: /current still has the flow, and the level is computed from it. */
export function dangerReportFromCurrent(city: string, current: Cached<Current>): DangerReport {
  const aare = current.value.aare;
  const values = aare
    ? {
        flow: aare.flow,
        flow_text: aare.flow_text,
        timestamp: aare.timestamp,
        timestring: aare.timestring,
      }
    : undefined;
  return dangerReport(city, values, aare?.location ?? null, current);
}

function dangerReport(
  city: string,
  values: Partial<WidgetCity> | undefined,
  name: string | null,
  answer: Cached<unknown>,
): DangerReport {
  const assessment = assessWidgetValues(values);
  return {
    city,
    name,
    flow: assessment.flow,
    flowText: values?.flow_text ?? null,
    flowTextEnglish: explainPhrase(values?.flow_text),
    level: assessment.level,
    label: assessment.label,
    levelSource: assessment.source,
    thresholds: FLOW_THRESHOLDS.map((t) => ({
      level: t.level,
      label: DANGER_LEVEL_LABELS[t.level],
      minFlow: t.minFlow,
    })),
    advice: safetyAdvice(assessment.level),
    measuredAt: isoFromUnix(values?.timestamp),
    measuredAtLocal: values?.timestring ?? null,
    source: freshnessOf(answer),
  };
}

/** From a history as cached: already summarised on the full series and averaged down. */
export function historyReport(history: Cached<History>): HistoryReport {
  const { series, summary, range, city } = history.value;
  return {
    city,
    start: isoFromUnix(range.start)!,
    end: isoFromUnix(range.end)!,
    granularity: summary.granularity,
    temperature: { summary: summary.temperature, points: series.temperature },
    flow: { summary: summary.flow, points: series.flow },
    downsampled: summary.downsampled,
    source: freshnessOf(history),
  };
}

/**
 * @param cities the cities upstream lists, in its order (downstream along the Aare).
 * @param requested the cities asked for as a person typed them; none: every known city.
 */
export function comparisonReport(
  widget: Cached<Widget>,
  cities: City[],
  requested?: string[],
): ComparisonReport {
  const knownIds = cities.map((c) => c.city);
  const wanted = requested?.length ? [...new Set(requested.map(normaliseCityId))] : knownIds;
  const entries = wanted.map((city) => {
    const values = widget.value.values[city];
    const error = !knownIds.includes(city)
      ? new UnknownCityError(city, knownIds).message
      : !values
        ? 'Upstream has no current data for this city.'
        : null;
    const assessment = assessWidgetValues(values);
    return {
      city,
      name: widgetCityName(widget.value, city),
      temperature: values?.temperature ?? null,
      text: values?.temperature_text ?? null,
      flow: assessment.flow,
      danger: dangerOf(assessment),
      measuredAt: isoFromUnix(values?.timestamp),
      coordinates: cities.find((c) => c.city === city)?.coordinates ?? null,
      error,
    };
  });
  const ranked = [...entries].sort(
    (a, b) => (b.temperature ?? -Infinity) - (a.temperature ?? -Infinity),
  );
  const withTemperature = ranked.filter((e) => e.temperature !== null);
  const safest = entries
    .filter((e) => e.danger.level !== null)
    .sort(
      (a, b) => a.danger.level! - b.danger.level! || (a.flow ?? Infinity) - (b.flow ?? Infinity),
    )[0];
  return {
    cities: ranked,
    warmest: withTemperature[0]?.city ?? null,
    coldest: withTemperature[withTemperature.length - 1]?.city ?? null,
    safest: safest?.city ?? null,
    source: freshnessOf(widget),
  };
}

export function forecastReport(city: string, current: Cached<Current>): ForecastReport {
  const { aare, sun } = current.value;
  const today = sun?.today
    ? [
        {
          day: 'today',
          dayEnglish: 'today',
          total: sun.today.suntotal,
          relativePercent: sun.today.sunrelative,
        },
      ]
    : [];
  return {
    city,
    name: aare?.location ?? null,
    water: {
      now: aare?.temperature ?? null,
      in2h: aare?.forecast2h ?? null,
      trend: temperatureTrend(aare?.temperature, aare?.forecast2h),
      text: aare?.forecast2h_text ?? null,
      textEnglish: explainPhrase(aare?.forecast2h_text),
      measuredAt: isoFromUnix(aare?.timestamp),
    },
    weatherToday: weatherToday(current.value),
    nextDays: weatherNextDays(current.value),
    sunshine: [
      ...today,
      ...(sun?.forecast ?? []).map((day) => ({
        day: day.day,
        dayEnglish: explainPhrase(day.day),
        total: day.suntotal,
        relativePercent: day.sunrelative,
      })),
    ],
    source: freshnessOf(current),
  };
}

function dangerOf(assessment: DangerAssessment) {
  return { level: assessment.level, label: assessment.label, source: assessment.source };
}

function warmestOther(widget: Widget, city: string, temperature: number | null) {
  let best: { city: string; name: string | null; temperature: number } | null = null;
  for (const [id, values] of Object.entries(widget.values)) {
    if (id === city || values.temperature === null) continue;
    if (!best || values.temperature > best.temperature) {
      best = {
        city: id,
        name: widgetCityName(widget, id),
        temperature: values.temperature,
      };
    }
  }
  return best && (temperature === null || best.temperature > temperature) ? best : null;
}

function widgetCityName(widget: Widget, city: string): string | null {
  return widget.cities.find((c) => c.key === city)?.name ?? null;
}

/** The danger level from a city's widget values: BAFU's level when given, else from the flow. */
function assessWidgetValues(values: Partial<WidgetCity> | undefined) {
  return assessDangerLevel({ upstreamLevel: values?.flow_gefahrenstufe, flow: values?.flow });
}
