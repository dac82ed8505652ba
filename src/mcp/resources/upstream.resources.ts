import { Inject, Injectable } from '@nestjs/common';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/server';
import { AareguruService } from '../../aareguru/aareguru.service';
import { CACHE_CONFIG } from '../../config/app-config.module';
import type { CacheConfig } from '../../config/configuration.types';
import { remainingCacheHint } from '../cache-hints';
import type { Cached } from '../../aareguru/cache/upstream-cache.service';
import { isModernRequest } from '../request-era';
import type { ServerContext } from '@modelcontextprotocol/server';
import { type Glyph, ICONS } from '../icons';
import { CityCompletionService } from '../city-completion.service';
import type { CallObserver } from '../call-observer';
import { AareResource, JSON_MIME, jsonContents, readOrFail } from './aare-resource';

/** `aareguru://cities` and `aareguru://widget`: upstream's lists, as JSON. */
@Injectable()
export class StaticUpstreamResources implements AareResource {
  constructor(
    private readonly aareguru: AareguruService,
    @Inject(CACHE_CONFIG) private readonly cache: CacheConfig,
  ) {}

  register(server: McpServer, observer: CallObserver): void {
    server.registerResource(
      'cities',
      'aareguru://cities',
      {
        title: 'Aare cities',
        description: 'Every city aare.guru measures: id, names, coordinates and water temperature.',
        mimeType: JSON_MIME,
        icons: ICONS.wave,
      },
      (uri, ctx) =>
        observer.observe('resource', 'cities', () =>
          readOrFail(uri, async () =>
            withRemainingHint(uri, await this.aareguru.cities(), ctx, this.cache.ttlSeconds),
          ),
        ),
    );
    server.registerResource(
      'widget',
      'aareguru://widget',
      {
        title: 'All cities at a glance',
        description:
          'Temperature, flow, BAFU danger level, air temperature and sunshine for every city in one document.',
        mimeType: JSON_MIME,
        icons: ICONS.wave,
      },
      (uri, ctx) =>
        observer.observe('resource', 'widget', () =>
          readOrFail(uri, async () =>
            withRemainingHint(uri, await this.aareguru.widget(), ctx, this.cache.ttlSeconds),
          ),
        ),
    );
  }
}

/** `aareguru://current/{city}` and `aareguru://today/{city}`: one resource per city. */
@Injectable()
export class CityTemplateResources implements AareResource {
  constructor(
    private readonly aareguru: AareguruService,
    private readonly completion: CityCompletionService,
    @Inject(CACHE_CONFIG) private readonly cache: CacheConfig,
  ) {}

  register(server: McpServer, observer: CallObserver): void {
    this.registerTemplate(server, observer, {
      name: 'current',
      title: 'Current data for a city',
      description:
        'Everything aare.guru knows about one city now: water, flow, weather, sun, history of the last 48 h.',
      glyph: 'wave',
      read: (city) => this.aareguru.current(city),
    });
    this.registerTemplate(server, observer, {
      name: 'today',
      title: 'Water temperature summary for a city',
      description: 'The short form: water temperature and its Swiss German phrase.',
      glyph: 'thermometer',
      read: (city) => this.aareguru.today(city),
    });
  }

  private registerTemplate(
    server: McpServer,
    observer: CallObserver,
    spec: {
      name: 'current' | 'today';
      title: string;
      description: string;
      glyph: Glyph;
      read: (city: string) => Promise<Parameters<typeof jsonContents>[1]>;
    },
  ): void {
    const template = new ResourceTemplate(`aareguru://${spec.name}/{city}`, {
      list: async () => {
        // Listing must not fail because upstream does: without the city list there is nothing to list.
        const cities = await this.aareguru.cities().catch(() => ({ value: [] }));
        return {
          resources: cities.value.map((c) => ({
            uri: `aareguru://${spec.name}/${c.city}`,
            name: `${spec.name}-${c.city}`,
            title: `${spec.title}: ${c.name ?? c.city}`,
            mimeType: JSON_MIME,
          })),
        };
      },
      complete: { city: (value) => this.completion.complete(value) },
    });
    server.registerResource(
      spec.name,
      template,
      {
        title: spec.title,
        description: spec.description,
        mimeType: JSON_MIME,
        // On the template only: the listed per-city resources stay small.
        icons: ICONS[spec.glyph],
      },
      (uri, variables, ctx) =>
        observer.observe('resource', spec.name, () =>
          readOrFail(uri, async () =>
            withRemainingHint(
              uri,
              await spec.read(String(variables.city)),
              ctx,
              this.cache.ttlSeconds,
            ),
          ),
        ),
    );
  }
}

/**
 * The JSON body of a cached answer; on 2026-07-28 with the rest of its life in the cache as the
 * hint (cache fields a handler returns would go out in 2025 results too, which have none).
 */
function withRemainingHint(
  uri: URL,
  answer: Cached<unknown>,
  ctx: ServerContext,
  cacheTtlSeconds: number,
) {
  return {
    ...jsonContents(uri, answer),
    ...(isModernRequest(ctx) ? remainingCacheHint(answer, cacheTtlSeconds) : {}),
  };
}
