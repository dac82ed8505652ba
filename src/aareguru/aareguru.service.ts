import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Clock } from '../common/clock';
import { AAREGURU_CONFIG } from '../config/app-config.module';
import type { AareguruConfig } from '../config/configuration.types';
import { HistoryRange, resolveHistoryRange } from '../domain/history-dates';
import { digestHistory, HistoryDigest } from '../domain/history-digest';
import { AareguruClient } from './aareguru.client';
import { UnknownCityError } from './aareguru.errors';
import type { City, Current, Today, Widget } from './aareguru.schemas';
import { Cached, UpstreamCacheService } from './cache/upstream-cache.service';

/** A city's history as cached: the digest the report needs, not upstream's full series. */
export interface History extends HistoryDigest {
  city: string;
  range: HistoryRange;
}

/** Normalises what a person types as a city: " Bern " → "bern". */
export function normaliseCityId(input: string): string {
  return input.trim().toLowerCase();
}

/**
 * What the rest of the application asks upstream for. Every read goes through the shared cache;
 * every city is checked against upstream's own list first, because upstream silently answers
 * Bern's data for a city it does not know.
 */
@Injectable()
export class AareguruService {
  constructor(
    private readonly client: AareguruClient,
    private readonly cache: UpstreamCacheService,
    @Inject(AAREGURU_CONFIG) private readonly config: AareguruConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  cities(): Promise<Cached<City[]>> {
    return this.cache.getOrFetch(UpstreamCacheService.key('cities'), () => this.client.cities());
  }

  /** Ids in upstream's order (downstream along the Aare). */
  async cityIds(): Promise<string[]> {
    return (await this.cities()).value.map((city) => city.city);
  }

  /** The normalised id of a city upstream knows, or an UnknownCityError listing the valid ids. */
  async resolveCity(input: string): Promise<string> {
    const id = normaliseCityId(input);
    const ids = await this.cityIds();
    if (!ids.includes(id)) throw new UnknownCityError(input.trim(), ids);
    return id;
  }

  async today(cityInput: string): Promise<Cached<Today>> {
    const city = await this.resolveCity(cityInput);
    return this.cache.getOrFetch(UpstreamCacheService.key('today', { city }), () =>
      this.client.today(city),
    );
  }

  async current(cityInput: string): Promise<Cached<Current>> {
    const city = await this.resolveCity(cityInput);
    return this.cache.getOrFetch(UpstreamCacheService.key('current', { city }), () =>
      this.client.current(city),
    );
  }

  /**
   * Asks upstream for a city's current data whatever the cache holds, and keeps the answer: work
   * on the server's own account (a subscribed resource changed), charged to no caller.
   */
  async refreshCurrent(city: string): Promise<Current> {
    const key = UpstreamCacheService.key('current', { city });
    // Dropped first: other replicas' near copies go too, and they read the new answer.
    await this.cache.forget(key);
    return this.cache.renew(key, () => this.client.current(city));
  }

  /** Drops a city's cached `/today`, so the next read asks upstream. */
  forgetToday(city: string): Promise<void> {
    return this.cache.forget(UpstreamCacheService.key('today', { city }));
  }

  /** Every city at once: one upstream call serves any comparison. */
  widget(): Promise<Cached<Widget>> {
    return this.cache.getOrFetch(UpstreamCacheService.key('widget'), () => this.client.widget());
  }

  /**
   * History between two time expressions. The range is checked (within upstream's data, order,
   * maximum length) before anything is sent; upstream gets Unix seconds. What is cached is the
   * digest (summaries of the full series, points averaged down): a year of 10-minute points would
   * be megabytes per entry.
   */
  async history(
    cityInput: string,
    start: string | number,
    end: string | number,
    onUpstream?: (stage: 'asking' | 'answered', range: HistoryRange) => void,
  ): Promise<Cached<History>> {
    const range = resolveHistoryRange(start, end, {
      nowMs: this.clock.now(),
      maxRangeDays: this.config.historyMaxRangeDays,
      earliest: this.config.historyEarliest,
    });
    const city = await this.resolveCity(cityInput);
    const key = UpstreamCacheService.key('history', { city, start: range.start, end: range.end });
    // `onUpstream` hears only when upstream is really asked, not on a cache hit.
    return this.cache.getOrFetch(key, async () => {
      onUpstream?.('asking', range);
      const series = await this.client.history(city, range.start, range.end);
      onUpstream?.('answered', range);
      return { city, range, ...digestHistory(series) };
    });
  }
}
