import { Injectable, Logger } from '@nestjs/common';
import { AareguruService, normaliseCityId } from '../aareguru/aareguru.service';
import { UpstreamError } from '../aareguru/aareguru.errors';
import type { Cached } from '../aareguru/cache/upstream-cache.service';
import type { Widget } from '../aareguru/aareguru.schemas';
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

  async history(
    cityInput: string,
    start: string | number,
    end: string | number,
  ): Promise<HistoryReport> {
    return historyReport(await this.aareguru.history(cityInput, start, end));
  }

  async compare(requested?: string[]): Promise<ComparisonReport> {
    const ids = await this.aareguru.cityIds();
    const widget = await this.aareguru.widget();
    return comparisonReport(widget, ids, requested);
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
