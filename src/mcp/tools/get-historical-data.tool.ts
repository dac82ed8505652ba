import { Injectable } from '@nestjs/common';
import type { ResourceLink } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { AareReportService } from '../../aare/aare-report.service';
import type { ProgressReporter } from '../../aare/progress-reporter';
import { HistoryReport, historyReportSchema } from '../../aare/reports.schemas';
import { ACCEPTED_TIME_FORMATS } from '../../domain/history-dates';
import { JSON_MIME } from '../resources/aare-resource';
import { CSV_MIME } from '../resources/history-csv';
import { type HistoryFormat, historyResourceUri, shortIso } from '../resources/history.resource';
import { ConfirmationsService } from '../confirmations.service';
import type { ToolAsk } from '../questions';
import { AareTool, READ_ONLY_ANNOTATIONS } from './aare-tool';
import { cityArgument, describeFreshness, formatCelsius, formatFlow } from './tool-text';

const time = (what: string, example: string) =>
  z
    .union([z.string().min(1).max(64), z.number().int().nonnegative()])
    .describe(`${what}: ${ACCEPTED_TIME_FORMATS}. Example: "${example}".`);

const inputSchema = z.object({
  city: cityArgument,
  start: time('Start of the range', '-7 days').default('-7 days'),
  end: time('End of the range, after the start', 'now').default('now'),
});

@Injectable()
export class GetHistoricalDataTool extends AareTool<
  typeof inputSchema,
  typeof historyReportSchema
> {
  readonly name = 'get_historical_data';
  readonly config = {
    title: 'Aare history',
    description:
      'Water temperature and flow of the Aare at one city over a time range, with a summary (min, max, ' +
      'mean, first, last, trend) and the spacing of the points. Accepts relative times such as "-7 days" ' +
      'and "now". Times must lie between upstream\'s first data and now (a refused range names the ' +
      'first date); ranges are limited to about a year; long series are averaged down to 500 points.',
    inputSchema,
    outputSchema: historyReportSchema,
    annotations: READ_ONLY_ANNOTATIONS,
  };

  constructor(
    private readonly reports: AareReportService,
    private readonly confirmations: ConfirmationsService,
  ) {
    super();
  }

  run(
    { city, start, end }: z.output<typeof inputSchema>,
    progress?: ProgressReporter,
    ask?: ToolAsk,
  ): Promise<HistoryReport> {
    // A long range is confirmed by the person first, when the client can ask.
    const range = this.confirmations.historyRange(city, start, end, ask);
    return this.reports.history(city, range.start, range.end, progress);
  }

  summarise(r: HistoryReport): string {
    const t = r.temperature.summary;
    const f = r.flow.summary;
    return [
      `${r.city} from ${r.start} to ${r.end}, one point every ${r.granularity.label}.`,
      `Water: ${formatCelsius(t.min)} to ${formatCelsius(t.max)}, mean ${formatCelsius(t.mean)}, ${t.trend} ` +
        `(${formatCelsius(t.first)} → ${formatCelsius(t.last)}).`,
      `Flow: ${formatFlow(f.min)} to ${formatFlow(f.max)}, mean ${formatFlow(f.mean)}, ${f.trend}.`,
      ...(r.downsampled ? ['The series were averaged down to keep the answer readable.'] : []),
      describeFreshness(r.source),
    ].join('\n');
  }

  /** The range served, in absolute times, as the history resource in JSON and in CSV. */
  override links(r: HistoryReport): ResourceLink[] {
    const [start, end] = [shortIso(r.start), shortIso(r.end)];
    const link = (format: HistoryFormat, mimeType: string): ResourceLink => ({
      type: 'resource_link',
      uri: historyResourceUri(r.city, start, end, format),
      name: format === 'csv' ? `history-${r.city}.csv` : `history-${r.city}`,
      title: `Aare history at ${r.city}, ${start} to ${end}${format === 'csv' ? ' (CSV)' : ''}`,
      mimeType,
    });
    return [link('json', JSON_MIME), link('csv', CSV_MIME)];
  }
}
