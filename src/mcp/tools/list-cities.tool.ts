import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { AareReportService } from '../../aare/aare-report.service';
import { CityList, cityListSchema } from '../../aare/reports.schemas';
import { AareTool, READ_ONLY_ANNOTATIONS } from './aare-tool';
import { describeFreshness, formatCelsius } from './tool-text';

const inputSchema = z.object({});

@Injectable()
export class ListCitiesTool extends AareTool<typeof inputSchema, typeof cityListSchema> {
  readonly name = 'list_cities';
  readonly config = {
    title: 'Aare cities',
    description:
      'Every place along the Aare that aare.guru measures, in order downstream: the id to pass to the other ' +
      'tools, the Bernese display name, the measuring site, coordinates and the current water temperature.',
    inputSchema,
    outputSchema: cityListSchema,
    annotations: READ_ONLY_ANNOTATIONS,
  };

  constructor(private readonly reports: AareReportService) {
    super();
  }

  run(): Promise<CityList> {
    return this.reports.cities();
  }

  summarise(r: CityList): string {
    const lines = r.cities.map(
      (c) =>
        `- ${c.id}: ${c.name ?? c.id} (${c.longName ?? 'unknown site'}), water ${formatCelsius(c.temperature)}`,
    );
    return [
      `${r.cities.length} cities along the Aare:`,
      ...lines,
      describeFreshness(r.source),
    ].join('\n');
  }
}
