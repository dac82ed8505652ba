import { Injectable, Logger } from '@nestjs/common';
import { AareguruService, normaliseCityId } from '../aareguru/aareguru.service';
import { UnknownCityError, UpstreamError } from '../aareguru/aareguru.errors';
import type { Cached } from '../aareguru/cache/upstream-cache.service';
import type { Widget, WidgetCity } from '../aareguru/aareguru.schemas';
import {
  assessDangerLevel,
  DANGER_LEVEL_LABELS,
  DangerAssessment,
  FLOW_THRESHOLDS,
  safetyAdvice,
} from '../domain/danger-level';
import { downsample, flowTrend, granularityOf, summariseSeries } from '../domain/series-summary';
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

/** Below this the water counts as cold and a warmer city is suggested. */
export const COLD_WATER_CELSIUS = 16;

/** Longer series are averaged down to this many points. */
export const MAX_HISTORY_POINTS = 500;

function dangerOf(assessment: DangerAssessment) {
  return { level: assessment.level, label: assessment.label, source: assessment.source };
}

/**
 * Builds the Aare reports the MCP tools and resources return, from upstream data served through
 * the shared cache. Knows nothing about MCP.
 */
@Injectable()
export class AareReportService {
  private readonly logger = new Logger(AareReportService.name);

  constructor(private readonly aareguru: AareguruService) {}

  async temperature(cityInput: string): Promise<TemperatureReport> {
    const current = await this.aareguru.current(cityInput);
    const city = normaliseCityId(cityInput);
    const aare = current.value.aare;
    const temperature = aare?.temperature ?? null;
    const widget =
      temperature !== null && temperature < COLD_WATER_CELSIUS ? await this.widgetOrNull() : null;
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

  async conditions(cityInput: string): Promise<ConditionsReport> {
    const current = await this.aareguru.current(cityInput);
    const city = normaliseCityId(cityInput);
    const widget = await this.widgetOrNull();
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

  async cities(): Promise<CityList> {
    const cities = await this.aareguru.cities();
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

  async danger(cityInput: string): Promise<DangerReport> {
    const city = await this.aareguru.resolveCity(cityInput);
    const { values, answer, name } = await this.flowSource(city);
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

  async history(
    cityInput: string,
    start: string | number,
    end: string | number,
  ): Promise<HistoryReport> {
    const history = await this.aareguru.history(cityInput, start, end);
    const { series, range, city } = history.value;
    const downsampled =
      series.temperature.length > MAX_HISTORY_POINTS || series.flow.length > MAX_HISTORY_POINTS;
    return {
      city,
      start: isoFromUnix(range.start)!,
      end: isoFromUnix(range.end)!,
      granularity: granularityOf(series.temperature.length ? series.temperature : series.flow),
      temperature: {
        summary: summariseSeries(series.temperature),
        points: downsample(series.temperature, MAX_HISTORY_POINTS),
      },
      flow: {
        summary: summariseSeries(series.flow, flowTrend),
        points: downsample(series.flow, MAX_HISTORY_POINTS),
      },
      downsampled,
      source: freshnessOf(history),
    };
  }

  async compare(requested?: string[]): Promise<ComparisonReport> {
    const ids = await this.aareguru.cityIds();
    const widget = await this.aareguru.widget();
    const wanted = requested?.length ? [...new Set(requested.map(normaliseCityId))] : ids;
    const entries = wanted.map((city) => {
      const values = widget.value.values[city];
      const name = widgetCityName(widget.value, city);
      const error = !ids.includes(city)
        ? new UnknownCityError(city, ids).message
        : !values
          ? 'Upstream has no current data for this city.'
          : null;
      const assessment = assessWidgetValues(values);
      return {
        city,
        name,
        temperature: values?.temperature ?? null,
        text: values?.temperature_text ?? null,
        flow: assessment.flow,
        danger: dangerOf(assessment),
        measuredAt: isoFromUnix(values?.timestamp),
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

  async forecast(cityInput: string): Promise<ForecastReport> {
    const current = await this.aareguru.current(cityInput);
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
      city: normaliseCityId(cityInput),
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

  /** Optional extra data: a failure here costs a detail, not the whole answer. */
  private async widgetOrNull(): Promise<Cached<Widget> | null> {
    try {
      return await this.aareguru.widget();
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      this.logger.warn(`widget unavailable: ${error.message}`);
      return null;
    }
  }

  /**
   * Flow and BAFU level come from /widget (the only endpoint that carries the level); when it is
   * unavailable, /current still has the flow and the level is computed from it.
   */
  private async flowSource(city: string): Promise<{
    values: Partial<WidgetCity> | undefined;
    answer: Cached<unknown>;
    name: string | null;
  }> {
    const widget = await this.widgetOrNull();
    if (widget) {
      return {
        values: widget.value.values[city],
        answer: widget,
        name: widgetCityName(widget.value, city),
      };
    }
    const current = await this.aareguru.current(city);
    const aare = current.value.aare;
    return {
      values: aare
        ? {
            flow: aare.flow,
            flow_text: aare.flow_text,
            timestamp: aare.timestamp,
            timestring: aare.timestring,
          }
        : undefined,
      answer: current,
      name: aare?.location ?? null,
    };
  }
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
