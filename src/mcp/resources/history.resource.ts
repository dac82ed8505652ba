import { Inject, Injectable } from '@nestjs/common';
import {
  type CacheHint,
  McpServer,
  type ReadResourceResult,
  ResourceTemplate,
  type ServerContext,
  type Variables,
} from '@modelcontextprotocol/server';
import { AareReportService } from '../../aare/aare-report.service';
import type { HistoryReport } from '../../aare/reports.schemas';
import { CLOCK, type Clock } from '../../common/clock';
import { CACHE_CONFIG } from '../../config/app-config.module';
import type { CacheConfig } from '../../config/configuration.types';
import {
  ACCEPTED_TIME_FORMATS,
  parseHistoryTime,
  zurichMidnight,
} from '../../domain/history-dates';
import { LONG_TTL_MS, remainingCacheHint } from '../cache-hints';
import { isModernRequest } from '../request-era';
import type { CallObserver } from '../call-observer';
import { CityCompletionService } from '../city-completion.service';
import { ICONS } from '../icons';
import { AareResource, JSON_MIME, readOrFail } from './aare-resource';
import { CSV_MIME, historyCsv } from './history-csv';

export type HistoryFormat = 'json' | 'csv';

/**
 * JSON and CSV are two templates, the CSV one ending in `.csv`, rather than one read answering
 * both: a resource template declares a single `mimeType` for every resource it matches, a client
 * reads one URI and gets what it asked for without paying for the other form, and a
 * `resource_link` names one URI with one type.
 */
const TEMPLATES: Record<HistoryFormat, { name: string; uriTemplate: string; mimeType: string }> = {
  csv: {
    name: 'history-csv',
    uriTemplate: 'aareguru://history/{city}/{start}/{end}.csv',
    mimeType: CSV_MIME,
  },
  json: {
    name: 'history',
    uriTemplate: 'aareguru://history/{city}/{start}/{end}',
    mimeType: JSON_MIME,
  },
};

/** Keeps `:` readable in ISO times; everything else a URI segment cannot hold is escaped. */
function segment(value: string): string {
  return encodeURIComponent(value).replace(/%3A/gi, ':');
}

/** The history resource for a city and range, in either form. */
export function historyResourceUri(
  city: string,
  start: string,
  end: string,
  format: HistoryFormat,
): string {
  const uri = `aareguru://history/${segment(city)}/${segment(start)}/${segment(end)}`;
  return format === 'csv' ? `${uri}.csv` : uri;
}

/** An ISO time without the milliseconds upstream's times never have. */
export function shortIso(iso: string): string {
  return iso.replace(/\.000Z$/, 'Z');
}

/** Far apart enough that an expression relative to now gives two different instants. */
const PROBE_NOWS_MS = [Date.UTC(2020, 0, 1), Date.UTC(2030, 0, 1)];

/** A time written as a date, an ISO time or Unix seconds names the same instant whenever read. */
function isAbsolute(expression: string): boolean {
  const [a, b] = PROBE_NOWS_MS.map((now) => parseHistoryTime(expression, now));
  return a === b;
}

/**
 * `aareguru://history/{city}/{start}/{end}` (JSON: the same report get_historical_data returns)
 * and its `.csv` form (one row per timestamp). `start` and `end` take every form the tool takes
 * (`2025-06-01`, `2025-06-01T14:00Z`, Unix seconds, `yesterday`, `-7%20days`, `now`), with the
 * same bounds; both go through the same service, so they share its cache entries.
 */
@Injectable()
export class HistoryResources implements AareResource {
  constructor(
    private readonly reports: AareReportService,
    private readonly completion: CityCompletionService,
    @Inject(CACHE_CONFIG) private readonly cache: CacheConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  register(server: McpServer, observer: CallObserver): void {
    // The CSV template first: the SDK tries templates in order, and the JSON one's `{end}`
    // would also match "2025-06-08.csv".
    for (const format of ['csv', 'json'] as const) {
      const spec = TEMPLATES[format];
      server.registerResource(
        spec.name,
        new ResourceTemplate(spec.uriTemplate, {
          // Ranges are endless; there is nothing to list.
          list: undefined,
          complete: { city: (value) => this.completion.complete(value) },
        }),
        {
          title: format === 'csv' ? 'Aare history as CSV' : 'Aare history',
          description:
            `Water temperature and flow at one city over a time range, ${format === 'csv' ? 'as CSV (time, timestamp, temperature_celsius, flow_m3s)' : 'with a summary, as JSON'}. ` +
            `start and end: ${ACCEPTED_TIME_FORMATS}, URI-encoded. Ranges are limited like get_historical_data's.`,
          mimeType: spec.mimeType,
          icons: ICONS.thermometer,
        },
        (uri, variables, ctx) =>
          observer.observe('resource', spec.name, () => this.read(uri, variables, format, ctx)),
      );
    }
  }

  private async read(
    uri: URL,
    variables: Variables,
    format: HistoryFormat,
    ctx: ServerContext,
  ): Promise<ReadResourceResult> {
    const { report, start, end } = await readOrFail(uri, async () => {
      const [city, start, end] = (['city', 'start', 'end'] as const).map((name) =>
        decodeVariable(variables, name),
      );
      return { report: await this.reports.history(city, start, end), start, end };
    });
    const text = format === 'csv' ? historyCsv(report) : JSON.stringify(report);
    return {
      contents: [{ uri: uri.href, mimeType: TEMPLATES[format].mimeType, text }],
      // Cache fields a handler returns go out whatever the era; only 2026-07-28 results have them.
      ...(isModernRequest(ctx) ? this.cacheHintOf(start, end, report) : {}),
    };
  }

  /**
   * A range given in absolute times that ended before today (Swiss time) no longer changes: it
   * may be kept a day. Anything else (a range reaching into today, or one written relative to
   * now) is kept for what is left of its life in the upstream cache; data served stale not at all.
   */
  private cacheHintOf(start: string, end: string, report: HistoryReport): CacheHint {
    const endMs = Date.parse(report.end);
    const pastDays =
      !report.source.stale &&
      isAbsolute(start) &&
      isAbsolute(end) &&
      endMs <= zurichMidnight(this.clock.now()) * 1000;
    return pastDays
      ? { ttlMs: LONG_TTL_MS, cacheScope: 'public' }
      : remainingCacheHint(report.source, this.cache.ttlSeconds);
  }
}

/**
 * A variable as written in the URI when it is not valid percent-encoding: no city or time
 * matches it, so it is refused as an unknown city or a time not understood.
 */
function decodeVariable(variables: Variables, name: string): string {
  const raw = variables[name];
  const value = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
