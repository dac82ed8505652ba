import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { AareReportService } from '../../aare/aare-report.service';
import { ForecastReport, forecastReportSchema } from '../../aare/reports.schemas';
import { quotePhrase } from '../../domain/swiss-german';
import { AareTool, READ_ONLY_ANNOTATIONS } from './aare-tool';
import { cityArgument, describeFreshness, formatCelsius } from './tool-text';

const inputSchema = z.object({ city: cityArgument });

@Injectable()
export class GetForecastTool extends AareTool<typeof inputSchema, typeof forecastReportSchema> {
  readonly name = 'get_forecast';
  readonly config = {
    title: 'Aare and weather forecast',
    description:
      'Forecast for one city: water temperature now and in 2 hours with the trend, the weather for this ' +
      'morning, afternoon and evening and the next days, and the expected sunshine per day.',
    inputSchema,
    outputSchema: forecastReportSchema,
    annotations: READ_ONLY_ANNOTATIONS,
  };

  constructor(private readonly reports: AareReportService) {
    super();
  }

  run({ city }: z.output<typeof inputSchema>): Promise<ForecastReport> {
    return this.reports.forecast(city);
  }

  summarise(r: ForecastReport): string {
    const phrase = quotePhrase(r.water.text);
    const days = r.nextDays.map(
      (d) =>
        `- ${d.dayEnglish ?? d.day ?? d.date}: ${d.descriptionEnglish ?? d.description ?? 'no forecast'}, ` +
        `${formatCelsius(d.airTemperatureMin)} to ${formatCelsius(d.airTemperatureMax)}, ` +
        `rain risk ${d.precipitationRiskPercent ?? '?'} %`,
    );
    return [
      `${r.name ?? r.city}: water ${formatCelsius(r.water.now)} now, ${formatCelsius(r.water.in2h)} in 2 hours (${r.water.trend})` +
        (phrase ? ` — ${phrase}` : '') +
        '.',
      ...(days.length ? ['Next days:', ...days] : []),
      describeFreshness(r.source),
    ].join('\n');
  }
}
