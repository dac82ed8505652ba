import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { AareReportService } from '../../aare/aare-report.service';
import { TemperatureReport, temperatureReportSchema } from '../../aare/reports.schemas';
import { quotePhrase } from '../../domain/swiss-german';
import { AareTool, READ_ONLY_ANNOTATIONS } from './aare-tool';
import { cityArgument, describeFreshness, formatCelsius } from './tool-text';

const inputSchema = z.object({ city: cityArgument });

@Injectable()
export class GetCurrentTemperatureTool extends AareTool<
  typeof inputSchema,
  typeof temperatureReportSchema
> {
  readonly name = 'get_current_temperature';
  readonly config = {
    title: 'Current Aare water temperature',
    description:
      'Water temperature of the Aare at one city right now, with aare.guru’s Swiss German phrase for it, ' +
      'the measurement time and the 2-hour forecast. When the water is cold, names the warmest other city. ' +
      'Use list_cities for valid city ids.',
    inputSchema,
    outputSchema: temperatureReportSchema,
    annotations: READ_ONLY_ANNOTATIONS,
  };

  constructor(private readonly reports: AareReportService) {
    super();
  }

  run({ city }: z.output<typeof inputSchema>): Promise<TemperatureReport> {
    return this.reports.temperature(city);
  }

  summarise(r: TemperatureReport): string {
    const lines = [
      `${r.name ?? r.city}: water ${formatCelsius(r.temperature)}` +
        (r.measuredAtLocal ? ` (measured ${r.measuredAtLocal} Swiss time)` : '') +
        '.',
    ];
    const phrase = quotePhrase(r.text);
    if (phrase) lines.push(`aare.guru says ${phrase} — Bernese Swiss German.`);
    if (r.forecast2h !== null) {
      lines.push(`In 2 hours: ${formatCelsius(r.forecast2h)} (${r.trend}).`);
    }
    if (r.warmerAlternative) {
      const alt = r.warmerAlternative;
      lines.push(
        `Warmest elsewhere: ${alt.name ?? alt.city} (${alt.city}) at ${formatCelsius(alt.temperature)}.`,
      );
    }
    lines.push(describeFreshness(r.source));
    return lines.join('\n');
  }
}
