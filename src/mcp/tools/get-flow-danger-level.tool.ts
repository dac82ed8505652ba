import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { AareReportService } from '../../aare/aare-report.service';
import { DangerReport, dangerReportSchema } from '../../aare/reports.schemas';
import { quotePhrase } from '../../domain/swiss-german';
import { AareTool, READ_ONLY_ANNOTATIONS } from './aare-tool';
import { cityArgument, describeFreshness, formatFlow } from './tool-text';

const inputSchema = z.object({ city: cityArgument });

@Injectable()
export class GetFlowDangerLevelTool extends AareTool<
  typeof inputSchema,
  typeof dangerReportSchema
> {
  readonly name = 'get_flow_danger_level';
  readonly config = {
    title: 'Aare flow and BAFU danger level',
    description:
      'Flow of the Aare at one city (m³/s) and the BAFU danger level 1–5 with its label, where the level comes ' +
      'from (BAFU via aare.guru, or computed from the flow with the thresholds 100/220/300/430 m³/s), and ' +
      'safety advice for swimmers. A station without flow data gets level "unknown".',
    inputSchema,
    outputSchema: dangerReportSchema,
    annotations: READ_ONLY_ANNOTATIONS,
  };

  constructor(private readonly reports: AareReportService) {
    super();
  }

  run({ city }: z.output<typeof inputSchema>): Promise<DangerReport> {
    return this.reports.danger(city);
  }

  summarise(r: DangerReport): string {
    const phrase = quotePhrase(r.flowText);
    return [
      `${r.name ?? r.city}: flow ${formatFlow(r.flow)}${phrase ? `, ${phrase}` : ''}.`,
      `BAFU danger level: ${r.level ?? 'unknown'} — ${r.label} (${r.levelSource}).`,
      r.advice,
      describeFreshness(r.source),
    ].join('\n');
  }
}
