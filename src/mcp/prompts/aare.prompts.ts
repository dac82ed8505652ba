import { Injectable } from '@nestjs/common';
import { completable, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { AareguruService } from '../../aareguru/aareguru.service';
import { CityCompletionService } from '../city-completion.service';
import { shareJsonSchema } from '../shared-json-schema';
import type { CallObserver } from '../call-observer';
import { ICONS } from '../icons';
import { AarePrompt, checkedCity, userPrompt } from './aare-prompt';

/** A city argument that completes from the live city list. */
function completableCity(completion: CityCompletionService) {
  return completable(z.string().describe('City id, e.g. "bern" (see list_cities).'), (value) =>
    completion.complete(value),
  );
}

@Injectable()
export class DailySwimmingReportPrompt implements AarePrompt {
  // Built once and shared by every server instance.
  private readonly argsSchema;

  constructor(
    private readonly aareguru: AareguruService,
    completion: CityCompletionService,
  ) {
    this.argsSchema = shareJsonSchema(z.object({ city: completableCity(completion) }));
  }

  register(server: McpServer, observer: CallObserver): void {
    server.registerPrompt(
      'daily-swimming-report',
      {
        title: 'Daily swimming report',
        description: 'A report on whether today is a good day to swim in the Aare at one city.',
        icons: ICONS.thermometer,
        argsSchema: this.argsSchema,
      },
      ({ city }) =>
        observer.observe('prompt', 'daily-swimming-report', async () => {
          const id = await checkedCity(this.aareguru, city);
          return userPrompt(
            `Daily swimming report for ${id}`,
            [
              `Write a short daily swimming report for the Aare at "${id}".`,
              `1. Call get_current_conditions with city "${id}" for water temperature, flow, danger level, weather and sun.`,
              `2. Call get_flow_danger_level with city "${id}" for the BAFU level and safety advice.`,
              `3. Call get_forecast with city "${id}" for the next hours and days.`,
              'Then say whether swimming is advisable today and when (consider danger level first, then water ' +
                'temperature, weather and remaining sunshine). Quote aare.guru’s Swiss German phrase and explain it. ' +
                'If a level is 3 or higher, advise against swimming in the river. Credit aare.guru and BAFU.',
            ].join('\n'),
          );
        }),
    );
  }
}

@Injectable()
export class CompareSwimmingSpotsPrompt implements AarePrompt {
  register(server: McpServer, observer: CallObserver): void {
    server.registerPrompt(
      'compare-swimming-spots',
      {
        title: 'Compare swimming spots',
        description: 'Which place along the Aare is best for a swim right now.',
        icons: ICONS.wave,
      },
      () =>
        observer.observe('prompt', 'compare-swimming-spots', async () =>
          userPrompt(
            'Compare swimming spots along the Aare',
            [
              'Find the best place along the Aare for a swim right now.',
              '1. Call compare_cities (no arguments) for every city’s temperature, flow and danger level.',
              '2. For the two or three most promising cities, call get_flow_danger_level for safety advice.',
              'Recommend one place and explain why, warn about any city at danger level 3 or higher, and ' +
                'present the comparison as a short table. Credit aare.guru and BAFU.',
            ].join('\n'),
          ),
        ),
    );
  }
}

@Injectable()
export class WeeklyTrendAnalysisPrompt implements AarePrompt {
  private readonly argsSchema;

  constructor(
    private readonly aareguru: AareguruService,
    completion: CityCompletionService,
  ) {
    this.argsSchema = shareJsonSchema(
      z.object({
        city: completableCity(completion),
        days: z
          .string()
          .regex(/^([1-9]|[12]\d|30)$/, 'days must be a whole number from 1 to 30')
          .optional()
          .describe('How many days to look back, 1 to 30. Defaults to 7.'),
      }),
    );
  }

  register(server: McpServer, observer: CallObserver): void {
    server.registerPrompt(
      'weekly-trend-analysis',
      {
        title: 'Weekly trend analysis',
        description: 'How water temperature and flow developed at one city over the past days.',
        icons: ICONS.thermometer,
        argsSchema: this.argsSchema,
      },
      ({ city, days }) =>
        observer.observe('prompt', 'weekly-trend-analysis', async () => {
          const id = await checkedCity(this.aareguru, city);
          const span = days ?? '7';
          return userPrompt(
            `Trend analysis for ${id} over ${span} days`,
            [
              `Analyse how the Aare at "${id}" developed over the last ${span} days.`,
              `1. Call get_historical_data with city "${id}", start "-${span} days" and end "now".`,
              `2. Call get_current_conditions with city "${id}" for today’s values.`,
              'Describe the temperature and flow trends (min, max, mean, direction), notable changes, and what ' +
                'they mean for swimming in the coming days. Credit aare.guru and BAFU.',
            ].join('\n'),
          );
        }),
    );
  }
}
