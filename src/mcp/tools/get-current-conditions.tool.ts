import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { AareReportService } from '../../aare/aare-report.service';
import { ConditionsReport, conditionsReportSchema } from '../../aare/reports.schemas';
import { quotePhrase } from '../../domain/swiss-german';
import { AareTool, READ_ONLY_ANNOTATIONS } from './aare-tool';
import { cityArgument, describeFreshness, formatCelsius, formatFlow } from './tool-text';

const inputSchema = z.object({ city: cityArgument });

@Injectable()
export class GetCurrentConditionsTool extends AareTool<
  typeof inputSchema,
  typeof conditionsReportSchema
> {
  readonly name = 'get_current_conditions';
  readonly config = {
    title: 'Current conditions at the Aare',
    description:
      'Everything about swimming at one city right now: water temperature, flow and level, BAFU danger level, ' +
      'weather now and for the morning/afternoon/evening, sunshine and sunset at the bathing spots, the Bueber ' +
      "channel in Bern, and the last 24 hours' water temperature range.",
    inputSchema,
    outputSchema: conditionsReportSchema,
    annotations: READ_ONLY_ANNOTATIONS,
  };

  constructor(private readonly reports: AareReportService) {
    super();
  }

  run({ city }: z.output<typeof inputSchema>): Promise<ConditionsReport> {
    return this.reports.conditions(city);
  }

  summarise(r: ConditionsReport): string {
    const w = r.water;
    const lines = [
      `${r.name ?? r.city}: water ${formatCelsius(w.temperature)}, flow ${formatFlow(w.flow)}` +
        (w.measuredAtLocal ? ` (measured ${w.measuredAtLocal} Swiss time)` : '') +
        '.',
    ];
    const temperaturePhrase = quotePhrase(w.text);
    const flowPhrase = quotePhrase(w.flowText);
    if (temperaturePhrase) lines.push(`Temperature: ${temperaturePhrase}.`);
    if (flowPhrase) lines.push(`Flow: ${flowPhrase}.`);
    lines.push(
      `Danger level: ${r.danger.level ?? 'unknown'} (${r.danger.label}, ${r.danger.source}).`,
      `Air ${formatCelsius(r.weather.now.airTemperature)} now; sunshine today ${r.sun.todayTotal ?? 'unknown'}.`,
    );
    if (r.bueber) lines.push(`Bueber channel: ${r.bueber.open ? 'open' : 'closed'}.`);
    if (r.last24h.points > 0) {
      lines.push(
        `Last 24 h: ${formatCelsius(r.last24h.minTemperature)} to ${formatCelsius(r.last24h.maxTemperature)}.`,
      );
    }
    lines.push(describeFreshness(r.source));
    return lines.join('\n');
  }
}
