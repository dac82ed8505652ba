import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { AareReportService } from '../../aare/aare-report.service';
import type { ProgressReporter } from '../../aare/progress-reporter';
import { ComparisonReport, comparisonReportSchema } from '../../aare/reports.schemas';
import { AareTool, READ_ONLY_ANNOTATIONS } from './aare-tool';
import { describeFreshness, formatCelsius, formatFlow } from './tool-text';

const inputSchema = z.object({
  cities: z
    .array(z.string().min(1).max(64))
    .max(50)
    .optional()
    .describe('City ids to compare (see list_cities). Every city when omitted or empty.'),
});

@Injectable()
export class CompareCitiesTool extends AareTool<typeof inputSchema, typeof comparisonReportSchema> {
  readonly name = 'compare_cities';
  readonly config = {
    title: 'Compare Aare cities',
    description:
      'Water temperature, flow and danger level of several cities side by side, ranked warmest first, naming ' +
      'the warmest, the coldest and the safest. A city without data is reported in the list, not as a failure.',
    inputSchema,
    outputSchema: comparisonReportSchema,
    annotations: READ_ONLY_ANNOTATIONS,
  };

  constructor(private readonly reports: AareReportService) {
    super();
  }

  run(
    { cities }: z.output<typeof inputSchema>,
    progress?: ProgressReporter,
  ): Promise<ComparisonReport> {
    return this.reports.compare(cities, progress);
  }

  summarise(r: ComparisonReport): string {
    const lines = r.cities.map((c) =>
      c.error
        ? `- ${c.city}: ${c.error}`
        : `- ${c.name ?? c.city} (${c.city}): ${formatCelsius(c.temperature)}, flow ${formatFlow(c.flow)}, ` +
          `danger level ${c.danger.level ?? 'unknown'}`,
    );
    return [
      'Warmest first:',
      ...lines,
      `Warmest: ${r.warmest ?? 'unknown'}; coldest: ${r.coldest ?? 'unknown'}; safest: ${r.safest ?? 'unknown'}.`,
      describeFreshness(r.source),
    ].join('\n');
  }
}
