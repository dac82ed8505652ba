import { Logger } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  citiesSchema,
  currentSchema,
  type City,
  widgetSchema,
  type Current,
  type Widget,
} from '../aareguru/aareguru.schemas';
import { UpstreamError } from '../aareguru/aareguru.errors';
import type { AareguruService } from '../aareguru/aareguru.service';
import type { Cached } from '../aareguru/cache/upstream-cache.service';
import { AareReportService } from './aare-report.service';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'aareguru');
const parsed = <T>(name: string, schema: { parse(raw: unknown): T }): T =>
  schema.parse(JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')));
const cached = <T>(value: T): Cached<T> => ({ value, fetchedAt: 0, stale: false, ageSeconds: 0 });

/**
 * Upstream as the report service sees it, answering from the recorded Bern and Thun payloads;
 * /widget can be made to fail. Records which endpoints were asked.
 */
class FakeAareguru {
  readonly asked: string[] = [];
  widgetFails = false;

  current(city: string): Promise<Cached<Current>> {
    this.asked.push(`current ${city}`);
    const name = city.trim().toLowerCase() === 'thun' ? 'current-thun.json' : 'current-bern.json';
    return Promise.resolve(cached(parsed(name, currentSchema)));
  }

  widget(): Promise<Cached<Widget>> {
    this.asked.push('widget');
    if (this.widgetFails) {
      return Promise.reject(new UpstreamError('timeout', 'widget', 'no answer within 5000 ms'));
    }
    return Promise.resolve(cached(parsed('widget.json', widgetSchema)));
  }

  cities(): Promise<Cached<City[]>> {
    const listed = parsed('cities.json', citiesSchema).filter((c) =>
      ['thun', 'bern', 'biel'].includes(c.city),
    );
    return Promise.resolve(cached(listed));
  }

  resolveCity(input: string): Promise<string> {
    return Promise.resolve(input.trim().toLowerCase());
  }
}

describe('AareReportService', () => {
  let upstream: FakeAareguru;
  let reports: AareReportService;

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    upstream = new FakeAareguru();
    reports = new AareReportService(upstream as unknown as AareguruService);
  });

  afterEach(() => jest.restoreAllMocks());

  it('asks /widget for a warmer city only when the water is cold', async () => {
    const cold = await reports.temperature(' Bern ');
    expect(cold).toMatchObject({ city: 'bern', temperature: 12.5 });
    expect(cold.warmerAlternative?.city).toBe('biel');
    expect(upstream.asked).toEqual(['current  Bern ', 'widget']);

    upstream.asked.length = 0;
    const warm = await reports.temperature('thun');
    expect(warm).toMatchObject({ temperature: 17.2, warmerAlternative: null });
    expect(upstream.asked).toEqual(['current thun']);
  });

  it('still answers conditions when /widget fails, with the level computed from the flow', async () => {
    upstream.widgetFails = true;
    const report = await reports.conditions('bern');
    expect(report.danger).toEqual({ level: 3, label: 'considerable danger', source: 'computed' });
    expect(Logger.prototype.warn).toHaveBeenCalledWith(
      'widget unavailable: no answer within 5000 ms',
    );
  });

  it("takes the danger level from /widget, and from /current's flow when /widget fails", async () => {
    expect(await reports.danger('bern')).toMatchObject({ flow: 228, levelSource: 'upstream' });
    expect(upstream.asked).toEqual(['widget']);

    upstream.widgetFails = true;
    upstream.asked.length = 0;
    expect(await reports.danger('bern')).toMatchObject({ flow: 247, levelSource: 'computed' });
    expect(upstream.asked).toEqual(['widget', 'current bern']);
  });

  it('does not swallow an error that is not an upstream failure', async () => {
    upstream.widget = () => Promise.reject(new TypeError('a bug'));
    await expect(reports.conditions('bern')).rejects.toThrow('a bug');
  });

  it('reports one step per compared city once /widget has answered; no reporter, no steps', async () => {
    const steps: [number, number | undefined, string | undefined][] = [];
    const report = await reports.compare(undefined, (progress, total, message) =>
      steps.push([progress, total, message]),
    );
    expect(steps).toEqual(
      report.cities.map((c, i) => [i + 1, 3, `${c.name ?? c.city}: ${i + 1} of 3`]),
    );
    expect(upstream.asked).toEqual(['widget']);
    await expect(reports.compare(['thun'])).resolves.toMatchObject({ warmest: 'thun' });
  });
});
