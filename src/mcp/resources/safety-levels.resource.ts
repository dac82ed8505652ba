import { Injectable } from '@nestjs/common';
import type { McpServer } from '@modelcontextprotocol/server';
import {
  DANGER_LEVEL_LABELS,
  DangerLevel,
  FLOW_THRESHOLDS,
  safetyAdvice,
} from '../../domain/danger-level';
import { ATTRIBUTION } from '../../aare/reports.schemas';
import { STATIC_CACHE_HINT } from '../cache-hints';
import type { CallObserver } from '../call-observer';
import { ICONS } from '../icons';
import { AareResource, JSON_MIME } from './aare-resource';

/** `aareguru://safety-levels`: the BAFU danger levels, the flow thresholds and what they mean. */
@Injectable()
export class SafetyLevelsResource implements AareResource {
  private readonly body = JSON.stringify({
    levels: ([1, 2, 3, 4, 5] as DangerLevel[]).map((level) => ({
      level,
      label: DANGER_LEVEL_LABELS[level],
      minFlowWhenComputed: FLOW_THRESHOLDS.find((t) => t.level === level)?.minFlow ?? 0,
      advice: safetyAdvice(level),
    })),
    unknown: { label: 'unknown: no flow data', advice: safetyAdvice(null) },
    notes: [
      "The level reported by aare.guru (BAFU's own, per station) is used when present.",
      'Otherwise the level is computed from the flow with the thresholds above, for every station alike.',
      'BAFU publishes the official levels at https://www.hydrodaten.admin.ch.',
    ],
    attribution: ATTRIBUTION,
  });

  register(server: McpServer, observer: CallObserver): void {
    server.registerResource(
      'safety-levels',
      'aareguru://safety-levels',
      {
        title: 'BAFU danger levels',
        description:
          'The five BAFU flow danger levels, the flow thresholds used to compute them, and advice.',
        mimeType: JSON_MIME,
        icons: ICONS.drop,
        // Fixed at build time: only a new release changes it.
        cacheHint: STATIC_CACHE_HINT,
      },
      (uri) =>
        observer.observe('resource', 'safety-levels', () =>
          Promise.resolve({ contents: [{ uri: uri.href, mimeType: JSON_MIME, text: this.body }] }),
        ),
    );
  }
}
