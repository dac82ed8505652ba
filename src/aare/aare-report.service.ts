import { Injectable, Logger } from '@nestjs/common';
import { AareguruService, normaliseCityId } from '../aareguru/aareguru.service';
import { UpstreamError } from '../aareguru/aareguru.errors';
import type { Cached } from '../aareguru/cache/upstream-cache.service';
import type { Widget } from '../aareguru/aareguru.schemas';
import type { HistoryRange } from '../domain/history-dates';
import {
  cityListReport,
  comparisonReport,
  conditionsReport,
  dangerReportFromCurrent,
  dangerReportFromWidget,
  forecastReport,
  historyReport,
  isColdWater,
  temperatureReport,
} from './aare-report.mapper';
import type {
  CityList,
  ComparisonReport,
  ConditionsReport,
  DangerReport,
  ForecastReport,
  HistoryReport,
  TemperatureReport,
} from './reports.schemas';
import { NO_PROGRESS, type ProgressReporter } from './progress-reporter';
import {
  comparisonSteps,
  historyStep,
  type HistoryStage,
  type ProgressStep,
} from './progress-steps';

/**
 * Fetches what each Aare report needs from upstream, through the shared cache, and hands it to
 * the pure mappers in aare-report.mapper.ts. Knows nothing about MCP.
 */
@Injectable()
export class AareReportService {
  private readonly logger = new Logger(AareReportService.name);

  constructor(private readonly aareguru: AareguruService) {}

  async temperature(cityInput: string): Promise<TemperatureReport> {
    const current = await this.aareguru.current(cityInput);
    // /widget is asked only when there is a warmer city to suggest.
    const widget = isColdWater(current.value.aare?.temperature) ? await this.widgetOrNull() : null;
    return temperatureReport(normaliseCityId(cityInput), current, widget);
  }

  async conditions(cityInput: string): Promise<ConditionsReport> {
    const current = await this.aareguru.current(cityInput);
    const widget = await this.widgetOrNull();
    return conditionsReport(normaliseCityId(cityInput), current, widget);
  }

  async cities(): Promise<CityList> {
    return cityListReport(await this.aareguru.cities());
  }

  async danger(cityInput: string): Promise<DangerReport> {
    const city = await this.aareguru.resolveCity(cityInput);
    const widget = await this.widgetOrNull();
    return widget
      ? dangerReportFromWidget(city, widget)
      : dangerReportFromCurrent(city, await this.aareguru.current(city));
  }

  /** A long range reports its stages (see historyStep); a short one reports nothing. */
  async history(
    cityInput: string,
    start: string | number,
    end: string | number,
    progress: ProgressReporter = NO_PROGRESS,
  ): Promise<HistoryReport> {
    const city = normaliseCityId(cityInput);
    const stage = (name: HistoryStage, range: HistoryRange) =>
      reportStep(progress, historyStep(name, city, range));
    const history = await this.aareguru.history(cityInput, start, end, stage);
    const report = historyReport(history);
    stage('summarised', history.value.range);
    return report;
  }

  /**
   * One /widget request answers every city, so the steps (one per city) follow it; they still
   * tell a caller comparing many cities which ones are in.
   */
  async compare(
    requested?: string[],
    progress: ProgressReporter = NO_PROGRESS,
  ): Promise<ComparisonReport> {
    const cities = await this.aareguru.cities();
    const widget = await this.aareguru.widget();
    const report = comparisonReport(widget, cities.value, requested);
    for (const step of comparisonSteps(report)) reportStep(progress, step);
    return report;
  }

  async forecast(cityInput: string): Promise<ForecastReport> {
    const current = await this.aareguru.current(cityInput);
    return forecastReport(normaliseCityId(cityInput), current);
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
}

function reportStep(progress: ProgressReporter, step: ProgressStep | null): void {
  if (step) progress(step.progress, step.total, step.message);
}
