import { Logger } from '@nestjs/common';
import { getToken } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { UPSTREAM_REFUSED } from '../src/aareguru/aareguru.metrics';
import { UnknownCityError, UpstreamError } from '../src/aareguru/aareguru.errors';
import { HistoryRangeError } from '../src/domain/history-dates';
import { fakeDateOnly } from './support/manual-clock';
import { startUpstreamHarness, UpstreamHarness } from './support/upstream-harness';

/** A counter's value for one reason (0 before the first increment). */
async function counted(counter: Counter<'reason'>, reason: string): Promise<number> {
  return (await counter.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

const VALID_IDS = ['brienz', 'interlaken', 'thun', 'bern', 'hagneck', 'biel', 'olten', 'brugg'];

/** Long enough that the probe's own (real) timer never fires during a test. */
const HALF_OPEN_MS = 60_000;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('Aareguru upstream against the fake, over real HTTP', () => {
  let h: UpstreamHarness;

  afterEach(async () => {
    await h?.close();
  });

  describe('with default resilience settings', () => {
    beforeEach(async () => {
      h = await startUpstreamHarness({ AAREGURU_RETRY_BASE_DELAY_MS: '5' });
    });

    it('parses /cities', async () => {
      const { value, stale } = await h.service.cities();
      expect(stale).toBe(false);
      expect(value.map((c) => c.city)).toEqual(VALID_IDS);
      expect(value[3]).toMatchObject({
        city: 'bern',
        name: 'Bärn',
        longname: 'Bern, Schönau',
        coordinates: { lat: 46.93, lon: 7.45 },
        aare: expect.any(Number),
        forecast: false,
      });
    });

    it('parses /today', async () => {
      const { value } = await h.service.today('interlaken');
      expect(value).toEqual({
        aare: 18.1,
        aare_prec: 18.08,
        text: 'Rächt gut. Mit viu Wasser',
        text_short: 'Mit viu Wasser',
        time: expect.any(Number),
        name: 'Interlake',
        longname: 'Ringgenberg, Goldswil',
      });
    });

    it('parses every part of /current', async () => {
      const { value } = await h.service.current('bern');
      expect(value.aare).toMatchObject({
        location: 'Bärn',
        temperature: 12.5,
        temperature_prec: 12.49,
        temperature_text: 'Uschaflig chaut',
        flow: 247,
        flow_text: 'ender viu',
        forecast2h: 12.7,
        forecast2h_text: 'Blibt äuä öpe glich',
        height: 502.84,
        historical_temp_max: { value: 24.12, timestamp: 1659625200 },
        flow_gefahrenstufe: null,
      });
      expect(value.aare?.temperature_scale).toHaveLength(9);
      expect(value.aare?.flow_scale[0]).toEqual({ value: 50, text: 'nid viu', position: 'start' });
      expect(value.aarepast).toHaveLength(271);
      expect(value.aarepast.filter((p) => p.temperature === null)).toHaveLength(2);
      expect(value.weather?.today?.n).toEqual({
        sy: 'j',
        symt: 10,
        syt: 'e gutsch',
        tt: 17,
        rr: 2,
        rrisk: 90,
      });
      expect(value.weather?.forecast).toHaveLength(4);
      expect(value.weatherpast).toHaveLength(286);
      expect(value.sun?.forecast.map((d) => d.day)).toEqual([
        'Mitwuch',
        'Donschti',
        'Friti',
        'Samschti',
      ]);
      expect(value.sun?.sunlocations.map((s) => s.name)).toEqual([
        'Eichholz',
        'Marzili',
        'Lorraine',
      ]);
      expect(value.bueber).toEqual({
        state: 'closed',
        state_open_flag: false,
        source: 'badmeister',
        time: 1663653604,
      });
    });

    it('parses /current for a city without a Bueber or bathing spots', async () => {
      const { value } = await h.service.current('thun');
      expect(value.aare?.location).toBe('Thun');
      expect(value.bueber).toBeNull();
      expect(value.sun?.sunlocations).toEqual([]);
      expect(value.aare?.historical_temp_max).toBeNull();
    });

    it('parses /widget with every city and keeps nulls as nulls', async () => {
      const { value } = await h.service.widget();
      expect(Object.keys(value.values)).toEqual(VALID_IDS);
      expect(value.values.bern).toMatchObject({
        flow: 247,
        flow_gefahrenstufe: 1,
        flow_text: 'ender viu',
      });
      expect(value.values.olten).toMatchObject({
        flow: null,
        flow_text: null,
        flow_gefahrenstufe: null,
      });
      expect(value.cities).toContainEqual({ key: 'brugg', name: 'Brugg AG' });
    });

    it('sends app and version on every request', async () => {
      await h.service.current('bern');
      await h.service.widget();
      expect(h.fake.requests.length).toBeGreaterThanOrEqual(3);
      for (const request of h.fake.requests) {
        expect(request.query.app).toBe('aareguru-mcp');
        expect(request.query.version).toMatch(/^\d+\.\d+\.\d+/);
      }
    });

    it('rejects an unknown city with the valid ids instead of passing on Bern', async () => {
      const error = await rejection(h.service.current('zurich'));
      expect(error).toBeInstanceOf(UnknownCityError);
      expect((error as UnknownCityError).validCities).toEqual(VALID_IDS);
      expect((error as Error).message).toBe(
        `Unknown city "zurich". Valid city ids: ${VALID_IDS.join(', ')}.`,
      );
      expect(h.fake.count('/v2018/current')).toBe(0);
      await expect(h.service.today('')).rejects.toBeInstanceOf(UnknownCityError);
      await expect(h.service.history('basel', '-1 day', 'now')).rejects.toBeInstanceOf(
        UnknownCityError,
      );
      expect(h.fake.count('/v2018/today') + h.fake.count('/v2018/history')).toBe(0);
    });

    it('normalises a mis-cased city and asks upstream for that city, not Bern', async () => {
      const { value } = await h.service.current('  Thun ');
      expect(value.aare?.location).toBe('Thun');
      expect(h.fake.count('/v2018/current', 'thun')).toBe(1);
      expect(h.fake.count('/v2018/current', 'Thun')).toBe(0);
    });

    it('survives a response whose every value is null', async () => {
      await h.service.cities();
      h.fake.inject({ fault: { kind: 'nulls' }, path: '/v2018/current' });
      const { value } = await h.service.current('bern');
      expect(value.aare?.temperature).toBeNull();
      expect(value.aare?.temperature_text).toBeNull();
      // Points without a time say nothing and are dropped; the rest reads as null.
      expect(value.aarepast).toEqual([]);
      expect(value.weather?.today?.v).toEqual({
        sy: null,
        symt: null,
        syt: null,
        tt: null,
        rr: null,
        rrisk: null,
      });
      expect(value.sun?.today).toEqual({ suntotal: null, sunrelative: null });
    });

    it('fetches history with Unix seconds and parses the series', async () => {
      const { value } = await h.service.history('Bern', '-1 day', 'now');
      const [request] = h.fake.requests.filter((r) => r.path === '/v2018/history');
      expect(request.query.city).toBe('bern');
      expect(request.query.start).toMatch(/^\d+$/);
      expect(Number(request.query.end) - Number(request.query.start)).toBe(86400);
      expect(value.range).toEqual({
        start: Number(request.query.start),
        end: Number(request.query.end),
      });
      expect(value.series.temperature.length).toBeGreaterThan(100);
      expect(value.series.flow.length).toBe(value.series.temperature.length);
      expect(value.series.temperature[0].timestamp).toBeGreaterThanOrEqual(value.range.start);
    });

    it('rejects a reversed or too long range before calling upstream', async () => {
      await expect(h.service.history('bern', 'now', '-1 day')).rejects.toMatchObject({
        problem: 'start_not_before_end',
      });
      await expect(h.service.history('bern', '2020-01-01', '2022-01-01')).rejects.toBeInstanceOf(
        HistoryRangeError,
      );
      expect(h.fake.count('/v2018/history')).toBe(0);
    });

    it('costs one upstream request for 50 concurrent identical requests', async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, () => h.service.current('bern')),
      );
      expect(results.every((r) => r.value.aare?.temperature === 12.5)).toBe(true);
      expect(h.fake.count('/v2018/current', 'bern')).toBe(1);
      expect(h.fake.count('/v2018/cities')).toBe(1);
      await h.service.current('bern');
      expect(h.fake.count('/v2018/current', 'bern')).toBe(1);
    });

    it('asks again once the TTL has passed', async () => {
      await h.service.current('bern');
      h.clock.advance(120_000);
      await h.service.current('bern');
      expect(h.fake.count('/v2018/current', 'bern')).toBe(2);
    });

    it('serves the last good value, marked stale with its age, when upstream fails', async () => {
      await h.service.current('bern');
      h.clock.advance(600_000);
      h.fake.inject({ fault: { kind: 'status', status: 500 } });
      const result = await h.service.current('bern');
      expect(result).toMatchObject({ stale: true, ageSeconds: 600 });
      expect(result.value.aare?.temperature).toBe(12.5);
    });

    it('retries a 500 and succeeds', async () => {
      h.fake.inject({ fault: { kind: 'status', status: 500 }, path: '/v2018/widget', times: 2 });
      const { value } = await h.service.widget();
      expect(value.values.bern.temperature).toBe(12.5);
      expect(h.fake.count('/v2018/widget')).toBe(3);
    });

    it('retries a 429 and a reset connection', async () => {
      h.fake.inject({ fault: { kind: 'status', status: 429 }, path: '/v2018/widget', times: 1 });
      h.fake.inject({ fault: { kind: 'reset' }, path: '/v2018/widget', times: 1 });
      await h.service.widget();
      expect(h.fake.count('/v2018/widget')).toBe(3);
    });

    it.each([400, 404])('does not retry HTTP %p', async (status) => {
      h.fake.inject({ fault: { kind: 'status', status }, path: '/v2018/widget' });
      const error = await rejection(h.service.widget());
      expect(error).toMatchObject({ kind: 'http', status, endpoint: 'widget' });
      expect(h.fake.count('/v2018/widget')).toBe(1);
    });

    it('turns malformed JSON into a typed error without retrying', async () => {
      h.fake.inject({ fault: { kind: 'malformed' }, path: '/v2018/widget' });
      const error = await rejection(h.service.widget());
      expect(error).toBeInstanceOf(UpstreamError);
      expect(error).toMatchObject({ kind: 'malformed', message: 'response is not valid JSON' });
      expect(h.fake.count('/v2018/widget')).toBe(1);
    });

    it('gives up after the configured retries', async () => {
      h.fake.inject({ fault: { kind: 'status', status: 503 }, path: '/v2018/widget' });
      await expect(h.service.widget()).rejects.toMatchObject({ kind: 'http', status: 503 });
      expect(h.fake.count('/v2018/widget')).toBe(3); // 1 + AAREGURU_RETRIES (2)
    });

    it('reports the upstream as up in its health indicator', async () => {
      await h.service.widget();
      const result = await h.health.check();
      expect(result.aareguru).toMatchObject({
        status: 'up',
        circuit: 'closed',
        lastFailure: null,
        cache: { entries: 1 },
      });
    });
  });

  describe('circuit breaker', () => {
    beforeEach(async () => {
      fakeDateOnly();
      h = await startUpstreamHarness({
        AAREGURU_RETRIES: '0',
        AAREGURU_BREAKER_FAILURES: '3',
        // The probe's own trial is a minute away: here a client call must be the trial.
        AAREGURU_BREAKER_HALF_OPEN_MS: String(HALF_OPEN_MS),
      });
    });
    afterEach(() => jest.useRealTimers());

    it('opens after consecutive failures, sends nothing while open, and admits a client call as the trial', async () => {
      h.fake.inject({ fault: { kind: 'status', status: 500 }, path: '/v2018/widget' });
      for (let i = 0; i < 3; i += 1) {
        await expect(h.service.widget()).rejects.toMatchObject({ kind: 'http' });
      }
      expect(h.client.status().circuit).toBe('open');
      const refused = h.module.get<Counter<'reason'>>(getToken(UPSTREAM_REFUSED.name));
      const refusedBefore = await counted(refused, 'circuit_open');
      await expect(h.service.widget()).rejects.toMatchObject({ kind: 'circuit_open' });
      expect(h.fake.count('/v2018/widget')).toBe(3);
      // A refusal sends nothing: counted as such, and the status keeps the failure that opened it.
      expect(await counted(refused, 'circuit_open')).toBe(refusedBefore + 1);
      expect(h.client.status()).toMatchObject({ failures: 3, lastFailure: 'widget: HTTP 500' });
      const health = await h.health.check();
      expect(health.aareguru).toMatchObject({ status: 'down', circuit: 'open' });

      h.fake.clearFaults();
      // A moment before the interval has passed, the breaker still refuses without sending.
      jest.setSystemTime(Date.now() + HALF_OPEN_MS - 10);
      await expect(h.service.widget()).rejects.toMatchObject({ kind: 'circuit_open' });
      expect(h.fake.count('/v2018/widget')).toBe(3);

      // Once it has passed, the breaker lets the next call through as its trial, which closes it.
      jest.setSystemTime(Date.now() + 10);
      await expect(h.service.widget()).resolves.toMatchObject({ stale: false });
      expect(h.client.status().circuit).toBe('closed');
      expect(h.fake.count('/v2018/widget')).toBe(4);
      // The probe sent nothing: the client's call was the trial.
      expect(h.fake.count('/v2018/cities')).toBe(0);
    });
  });

  describe("the circuit's own trial", () => {
    let warn: jest.SpyInstance;
    let debug: jest.SpyInstance;

    beforeEach(async () => {
      fakeDateOnly();
      h = await startUpstreamHarness({
        AAREGURU_RETRIES: '2',
        AAREGURU_RETRY_BASE_DELAY_MS: '5',
        AAREGURU_TIMEOUT_MS: '200',
        AAREGURU_BREAKER_FAILURES: '3',
        AAREGURU_BREAKER_HALF_OPEN_MS: String(HALF_OPEN_MS),
      });
      // Three attempts (one call and its two retries) fail: the circuit opens.
      h.fake.inject({ fault: { kind: 'status', status: 500 } });
      await expect(h.service.widget()).rejects.toMatchObject({ kind: 'http', status: 500 });
      expect(h.client.status().circuit).toBe('open');
      warn = jest.spyOn(Logger.prototype, 'warn');
      debug = jest.spyOn(Logger.prototype, 'debug');
    });
    afterEach(() => {
      jest.restoreAllMocks();
      jest.useRealTimers();
    });

    const warnings = () => warn.mock.calls.map((args: unknown[]) => args.at(-1));
    const debugLines = () => debug.mock.calls.map((args: unknown[]) => args.at(-1));

    it('is sent once, without retries, and a failure keeps its real cause, logged at debug', async () => {
      jest.setSystemTime(Date.now() + HALF_OPEN_MS);
      await expect(h.client.trial()).rejects.toMatchObject({ kind: 'http', status: 500 });
      expect(h.fake.count('/v2018/cities')).toBe(1);
      const status = h.client.status();
      expect(status).toMatchObject({ circuit: 'open', lastFailure: 'cities: HTTP 500' });
      expect(status.recentFailures[0]).toMatchObject({ endpoint: 'cities', kind: 'http' });
      expect(warnings()).toEqual([]);
      expect(debugLines()).toContain('upstream failed: HTTP 500');
    });

    it('records a trial that times out as a timeout', async () => {
      h.fake.clearFaults();
      h.fake.inject({ fault: { kind: 'hang' }, path: '/v2018/cities' });
      jest.setSystemTime(Date.now() + HALF_OPEN_MS);
      await expect(h.client.trial()).rejects.toMatchObject({ kind: 'timeout' });
      expect(h.fake.count('/v2018/cities')).toBe(1);
      expect(h.client.status()).toMatchObject({
        circuit: 'open',
        lastFailure: 'cities: no answer within 200 ms',
      });
      expect(warnings()).toEqual([]);
    });

    it('closes the circuit when upstream answers again', async () => {
      h.fake.clearFaults();
      jest.setSystemTime(Date.now() + HALF_OPEN_MS);
      await expect(h.client.trial()).resolves.toHaveLength(VALID_IDS.length);
      expect(h.client.status().circuit).toBe('closed');
    });

    it('is no upstream failure when the breaker does not admit it yet (a timer a hair early)', async () => {
      const before = h.client.status();
      jest.setSystemTime(Date.now() + HALF_OPEN_MS - 1);
      await expect(h.client.trial()).rejects.toMatchObject({ kind: 'circuit_open' });
      expect(h.fake.count('/v2018/cities')).toBe(0);
      expect(h.client.status()).toEqual(before);
      expect(warnings()).toEqual([]);
    });
  });

  describe('timeouts', () => {
    beforeEach(async () => {
      h = await startUpstreamHarness({
        AAREGURU_TIMEOUT_MS: '100',
        AAREGURU_DEADLINE_MS: '300',
        AAREGURU_RETRIES: '10',
        AAREGURU_RETRY_BASE_DELAY_MS: '5',
        AAREGURU_RETRY_MAX_DELAY_MS: '10',
        AAREGURU_BREAKER_FAILURES: '100',
      });
    });

    it('retries an attempt that hangs past the per-attempt timeout', async () => {
      h.fake.inject({ fault: { kind: 'hang' }, path: '/v2018/widget', times: 1 });
      await expect(h.service.widget()).resolves.toMatchObject({ stale: false });
      expect(h.fake.count('/v2018/widget')).toBe(2);
    });

    it('never makes a caller wait past the deadline, retries included', async () => {
      h.fake.inject({ fault: { kind: 'hang' }, path: '/v2018/widget' });
      const started = Date.now();
      const error = await rejection(h.service.widget());
      const elapsed = Date.now() - started;
      expect(error).toMatchObject({ kind: 'timeout', message: 'no answer within 300 ms' });
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(1000);
      expect(h.fake.count('/v2018/widget')).toBeGreaterThanOrEqual(2);
    });

    it('waits for a slow answer within the timeout', async () => {
      h.fake.inject({ fault: { kind: 'slow', delayMs: 50 }, path: '/v2018/widget' });
      await expect(h.service.widget()).resolves.toMatchObject({ stale: false });
      expect(h.fake.count('/v2018/widget')).toBe(1);
    });
  });
});
