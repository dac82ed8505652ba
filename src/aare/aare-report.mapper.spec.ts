import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import {
  citiesSchema,
  currentSchema,
  widgetSchema,
  type Current,
  type Widget,
} from '../aareguru/aareguru.schemas';
import type { History } from '../aareguru/aareguru.service';
import type { Cached } from '../aareguru/cache/upstream-cache.service';
import { parseHistorySeries } from '../aareguru/history.parser';
import { digestHistory } from '../domain/history-digest';
import {
  cityListReport,
  comparisonReport,
  conditionsReport,
  dangerReportFromCurrent,
  dangerReportFromWidget,
  forecastReport,
  historyReport,
  isColdWater,
  temperatureReport,
} from './aare-report.mapper';
import { ATTRIBUTION } from './reports.schemas';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'aareguru');

function rawFixture(name: string): unknown {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
}

/** A recorded upstream answer, parsed as the client parses it. */
function fixture<T extends z.ZodType>(name: string, schema: T): z.output<T> {
  return schema.parse(rawFixture(name)) as z.output<T>;
}

const FETCHED_AT = Date.UTC(2024, 7, 19, 21, 15);

/** An answer as the cache serves it: fetched at FETCHED_AT, 42 s old unless told otherwise. */
function cached<T>(value: T, meta: Partial<Omit<Cached<T>, 'value'>> = {}): Cached<T> {
  return { value, fetchedAt: FETCHED_AT, stale: false, ageSeconds: 42, ...meta };
}

const FRESH_SOURCE = {
  stale: false,
  ageSeconds: 42,
  fetchedAt: '2024-08-19T21:15:00.000Z',
  attribution: ATTRIBUTION,
};

const currentBern = () => cached(fixture('current-bern.json', currentSchema));
const currentThun = () => cached(fixture('current-thun.json', currentSchema));
const currentInterlaken = () => cached(fixture('current-interlaken.json', currentSchema));
const widget = () => cached(fixture('widget.json', widgetSchema));
const CITY_IDS = ['brienz', 'interlaken', 'thun', 'bern', 'hagneck', 'biel', 'olten', 'brugg'];
const CITIES = () => fixture('cities.json', citiesSchema);

/** Bern's weather today in current-bern.json (v, n, a). */
const BERN_WEATHER_TODAY = {
  morning: {
    description: 'bewöukt',
    descriptionEnglish: 'cloudy',
    symbol: 3,
    airTemperature: 16,
    precipitationMm: 0,
    precipitationRiskPercent: 0,
  },
  afternoon: {
    description: 'e gutsch',
    descriptionEnglish: 'a downpour',
    symbol: 10,
    airTemperature: 17,
    precipitationMm: 2,
    precipitationRiskPercent: 90,
  },
  evening: {
    description: 'starche räge',
    descriptionEnglish: 'heavy rain',
    symbol: 6,
    airTemperature: 15,
    precipitationMm: 13,
    precipitationRiskPercent: 90,
  },
};

describe('isColdWater', () => {
  it('is cold below 16 °C only', () => {
    expect(isColdWater(12.5)).toBe(true);
    expect(isColdWater(15.99)).toBe(true);
    expect(isColdWater(16)).toBe(false);
    expect(isColdWater(17.2)).toBe(false);
    expect(isColdWater(null)).toBe(false);
    expect(isColdWater(undefined)).toBe(false);
  });
});

describe('temperatureReport', () => {
  it('maps Bern: temperature, phrases, forecast, trend and the warmest other city', () => {
    expect(temperatureReport('bern', currentBern(), widget())).toEqual({
      city: 'bern',
      name: 'Bärn',
      temperature: 12.5,
      temperaturePrecise: 12.49,
      text: 'Uschaflig chaut',
      textShort: 'Uuuh chaut',
      textEnglish: 'awfully cold',
      measuredAt: '2023-05-09T11:20:00.000Z',
      measuredAtLocal: '13:20',
      forecast2h: 12.7,
      // 12.5 → 12.7 is within the ±0.3 °C noise band.
      trend: 'stable',
      // Biel is the warmest in widget.json (21.4 °C).
      warmerAlternative: { city: 'biel', name: 'Biu', temperature: 21.4 },
      source: FRESH_SOURCE,
    });
  });

  it('maps Interlaken, whose phrase is on the high-water scale', () => {
    expect(temperatureReport('interlaken', currentInterlaken(), null)).toMatchObject({
      name: 'Interlake',
      temperature: 18.1,
      temperaturePrecise: 18.08,
      text: 'Rächt gut. Mit viu Wasser',
      textShort: 'Mit viu Wasser',
      textEnglish: 'pretty good, with a lot of water',
      measuredAt: '2024-08-19T21:00:00.000Z',
      measuredAtLocal: '23:00',
      forecast2h: 18,
      trend: 'stable',
      warmerAlternative: null,
    });
  });

  it('reads the trend from now towards the 2-hour forecast', () => {
    // Every recording is within the noise band; these move Bern's forecast out of it.
    const rising = currentBern();
    rising.value.aare!.forecast2h = 13.1;
    expect(temperatureReport('bern', rising, null).trend).toBe('rising');
    const falling = currentBern();
    falling.value.aare!.forecast2h = 12.1;
    expect(temperatureReport('bern', falling, null).trend).toBe('falling');
  });

  it('suggests no city when none is warmer, and never the city itself', () => {
    const warm = currentThun();
    warm.value.aare!.temperature = 25;
    expect(temperatureReport('thun', warm, widget()).warmerAlternative).toBeNull();
    // Biel itself is skipped: the next warmest, Brugg, is suggested.
    expect(temperatureReport('biel', currentThun(), widget()).warmerAlternative).toEqual({
      city: 'brugg',
      name: 'Brugg AG',
      temperature: 20.6,
    });
  });
});

describe('conditionsReport', () => {
  it('maps Bern: water, BAFU level from /widget, weather, sun, Bueber and the last 24 h', () => {
    const current = currentBern();
    const widgetAnswer = widget();
    widgetAnswer.stale = true;
    widgetAnswer.ageSeconds = 900;
    widgetAnswer.fetchedAt = FETCHED_AT - 900_000;

    expect(conditionsReport('bern', current, widgetAnswer)).toEqual({
      city: 'bern',
      name: 'Bärn',
      water: {
        temperature: 12.5,
        temperaturePrecise: 12.49,
        text: 'Uschaflig chaut',
        textShort: 'Uuuh chaut',
        textEnglish: 'awfully cold',
        flow: 247,
        flowText: 'ender viu',
        flowTextEnglish: 'rather a lot',
        height: 502.84,
        measuredAt: '2023-05-09T11:20:00.000Z',
        measuredAtLocal: '13:20',
      },
      // widget.json gives Bern flow_gefahrenstufe 1, which wins over the flow.
      danger: { level: 1, label: 'no or low danger', source: 'upstream' },
      weather: {
        now: { airTemperature: 18.3, precipitationMm: 0, measuredAt: '2023-05-09T11:10:00.000Z' },
        today: BERN_WEATHER_TODAY,
      },
      sun: {
        todayTotal: '3:20',
        todayRelativePercent: 23,
        spots: [
          {
            name: 'Eichholz',
            sunset: '2023-05-09T16:11:00.000Z',
            sunsetLocal: '18:11',
            sunLeft: '4:33:00',
            sunLeftSeconds: 16380,
          },
          {
            name: 'Marzili',
            sunset: '2023-05-09T17:11:00.000Z',
            sunsetLocal: '19:11',
            sunLeft: '5:33:00',
            sunLeftSeconds: 19980,
          },
          {
            name: 'Lorraine',
            sunset: '2023-05-09T16:51:00.000Z',
            sunsetLocal: '18:51',
            sunLeft: '5:13:00',
            sunLeftSeconds: 18780,
          },
        ],
      },
      bueber: { open: false, state: 'closed', since: '2022-09-20T06:00:04.000Z' },
      // 135 of the 271 aarepast points fall in the last 24 h; two nulls are skipped.
      last24h: { minTemperature: 11.71, maxTemperature: 12.68, points: 135 },
      // Stale if either answer is, as old as the oldest.
      source: {
        stale: true,
        ageSeconds: 900,
        fetchedAt: '2024-08-19T21:00:00.000Z',
        attribution: ATTRIBUTION,
      },
    });
  });

  it('gives the measured precipitation (rrreal), else the reported one (rr)', () => {
    // The recording has 0 for both; these tell them apart.
    const both = currentBern();
    both.value.weather!.current = { ...both.value.weather!.current!, rr: 0.4, rrreal: 0.6 };
    expect(conditionsReport('bern', both, null).weather.now.precipitationMm).toBe(0.6);
    const reportedOnly = currentBern();
    reportedOnly.value.weather!.current = {
      ...reportedOnly.value.weather!.current!,
      rr: 0.4,
      rrreal: null,
    };
    expect(conditionsReport('bern', reportedOnly, null).weather.now.precipitationMm).toBe(0.4);
  });

  it('computes the level from the flow when /widget is unavailable', () => {
    const report = conditionsReport('bern', currentBern(), null);
    // 247 m³/s is past the 220 m³/s threshold of level 3.
    expect(report.danger).toEqual({ level: 3, label: 'considerable danger', source: 'computed' });
    expect(report.source).toEqual(FRESH_SOURCE);
  });

  it('maps Thun, which has no Bueber channel and no bathing spots', () => {
    expect(conditionsReport('thun', currentThun(), widget())).toMatchObject({
      name: 'Thun',
      water: { temperature: 17.2, flow: 204, flowText: 'ender viu', height: 557.45 },
      danger: { level: 1, source: 'upstream' },
      weather: {
        now: { airTemperature: 16, measuredAt: '2024-08-19T21:00:00.000Z' },
        today: {
          morning: { description: 'zimlech sunnig', descriptionEnglish: 'fairly sunny' },
          evening: { description: 'sunnig', descriptionEnglish: 'sunny', airTemperature: 22 },
        },
      },
      sun: { todayTotal: '3:52', todayRelativePercent: 27, spots: [] },
      bueber: null,
      last24h: { minTemperature: 17.21, maxTemperature: 17.31, points: 6 },
    });
  });
});

describe('cityListReport', () => {
  it('lists every city in upstream order with its names, place and temperature', () => {
    const report = cityListReport(cached(fixture('cities.json', citiesSchema)));
    expect(report.cities.map((c) => c.id)).toEqual(CITY_IDS);
    expect(report.cities[3]).toEqual({
      id: 'bern',
      name: 'Bärn',
      longName: 'Bern, Schönau',
      coordinates: { lat: 46.93, lon: 7.45 },
      temperature: 12.9,
      measuredAt: '2023-05-09T14:50:00.000Z',
    });
    expect(report.cities[6]).toMatchObject({
      id: 'olten',
      name: 'Oute',
      temperature: 13.4,
      measuredAt: '2023-05-09T15:01:23.000Z',
    });
    expect(report.source).toEqual(FRESH_SOURCE);
  });
});

describe('danger reports', () => {
  const THRESHOLDS = [
    { level: 2, label: 'moderate danger', minFlow: 100 },
    { level: 3, label: 'considerable danger', minFlow: 220 },
    { level: 4, label: 'high danger', minFlow: 300 },
    { level: 5, label: 'very high danger', minFlow: 430 },
  ];

  it("takes BAFU's level from /widget", () => {
    expect(dangerReportFromWidget('bern', widget())).toEqual({
      city: 'bern',
      name: 'Bärn',
      flow: 228,
      // The warning sign upstream puts in front is not part of the phrase.
      flowText: '⚠️ mega viu',
      flowTextEnglish: 'a whole lot',
      level: 1,
      label: 'no or low danger',
      levelSource: 'upstream',
      thresholds: THRESHOLDS,
      advice: expect.stringMatching(/^Low flow for the Aare\./),
      measuredAt: '2024-08-19T21:10:00.000Z',
      measuredAtLocal: '23:10',
      source: FRESH_SOURCE,
    });
  });

  it('says unknown for a station without flow data (Olten in widget.json)', () => {
    expect(dangerReportFromWidget('olten', widget())).toMatchObject({
      name: 'Oute',
      flow: null,
      level: null,
      label: 'unknown: no flow data',
      levelSource: 'unknown',
      advice: expect.stringMatching(/^No flow data for this station/),
    });
  });

  it('computes the level from /current when /widget is unavailable', () => {
    expect(dangerReportFromCurrent('bern', currentBern())).toEqual({
      city: 'bern',
      name: 'Bärn',
      flow: 247,
      flowText: 'ender viu',
      flowTextEnglish: 'rather a lot',
      level: 3,
      label: 'considerable danger',
      levelSource: 'computed',
      thresholds: THRESHOLDS,
      advice: expect.stringMatching(/^Considerable danger/),
      measuredAt: '2023-05-09T11:20:00.000Z',
      measuredAtLocal: '13:20',
      source: FRESH_SOURCE,
    });
    expect(dangerReportFromCurrent('interlaken', currentInterlaken())).toMatchObject({
      name: 'Interlake',
      flow: 118,
      flowTextEnglish: 'rather little',
      level: 2,
      label: 'moderate danger',
      levelSource: 'computed',
    });
  });
});

describe('historyReport', () => {
  const RANGE = { start: 1683459600, end: 1683631200 };
  const bernSeries = () => {
    const series = parseHistorySeries(rawFixture('history-bern.json'));
    if (!series) throw new Error('history-bern.json no longer parses');
    return series;
  };
  /** A history as the service caches it: the digest of upstream's series. */
  const bernHistory = (series = bernSeries()): Cached<History> =>
    cached({ city: 'bern', range: RANGE, ...digestHistory(series) });

  it("summarises Bern's 48 hours of 10-minute points", () => {
    const report = historyReport(bernHistory());
    expect(report).toMatchObject({
      city: 'bern',
      start: '2023-05-07T11:40:00.000Z',
      end: '2023-05-09T11:20:00.000Z',
      granularity: { seconds: 600, label: '10 minutes' },
      temperature: {
        // 271 points, two of them null.
        summary: {
          count: 269,
          min: 11.59,
          max: 12.68,
          mean: 12.12,
          first: 12.44,
          last: 12.49,
          trend: 'stable',
        },
      },
      flow: {
        // 216 → 247 m³/s is more than 5 %.
        summary: {
          count: 271,
          min: 216,
          max: 270,
          mean: 249.19,
          first: 216,
          last: 247,
          trend: 'rising',
        },
      },
      downsampled: false,
      source: FRESH_SOURCE,
    });
    expect(report.temperature.points).toHaveLength(271);
    expect(report.temperature.points[0]).toEqual({ timestamp: 1683459600, value: 12.44 });
    expect(report.temperature.points).toContainEqual({ timestamp: 1683500100, value: null });
    expect(report.flow.points.at(-1)).toEqual({ timestamp: 1683631200, value: 247 });
  });

  it('judges the flow trend by its 5 % band, not the temperature one', () => {
    const series = bernSeries();
    const { flow } = series;
    // 216 → 225 m³/s: more than 0.3 but less than 5 %.
    flow[flow.length - 1] = { ...flow[flow.length - 1], value: 225 };
    expect(historyReport(bernHistory(series)).flow.summary).toMatchObject({
      first: 216,
      last: 225,
      trend: 'stable',
    });
  });

  it('averages series longer than 500 points down, and says so', () => {
    const series = bernSeries();
    const { temperature } = series;
    // The same 48 h twice over: 542 points.
    const shift = RANGE.end - RANGE.start + 600;
    temperature.push(...temperature.map((p) => ({ ...p, timestamp: p.timestamp + shift })));
    const report = historyReport(bernHistory(series));
    expect(report.downsampled).toBe(true);
    expect(report.temperature.points).toHaveLength(271);
    // Pairs are averaged: (12.44 + 12.46) / 2.
    expect(report.temperature.points[0]).toEqual({ timestamp: 1683459600, value: 12.45 });
    expect(report.temperature.summary.count).toBe(538);
    expect(report.flow.points).toHaveLength(271);
  });
});

describe('comparisonReport', () => {
  it('ranks every city warmest first and names the warmest, coldest and safest', () => {
    const report = comparisonReport(widget(), CITIES());
    expect(report.cities.map((c) => [c.city, c.temperature])).toEqual([
      ['biel', 21.4],
      ['brugg', 20.6],
      ['olten', 20.2],
      ['hagneck', 18.6],
      ['interlaken', 18.1],
      ['thun', 17.2],
      ['bern', 16.6],
      ['brienz', 8.3],
    ]);
    expect(report).toMatchObject({
      warmest: 'biel',
      coldest: 'brienz',
      // Every level is 1; Brienz has the lowest flow (61 m³/s).
      safest: 'brienz',
      source: FRESH_SOURCE,
    });
    expect(report.cities[0]).toEqual({
      city: 'biel',
      name: 'Biu',
      temperature: 21.4,
      text: 'Ja eh!',
      flow: 230,
      danger: { level: 1, label: 'no or low danger', source: 'upstream' },
      measuredAt: '2024-08-19T21:10:00.000Z',
      coordinates: { lat: 47.12, lon: 7.28 },
      error: null,
    });
    expect(report.cities[2]).toMatchObject({
      city: 'olten',
      flow: null,
      danger: { level: null, source: 'unknown' },
      error: null,
    });
  });

  it('compares only the cities asked for, once each, and explains an unknown one', () => {
    const report = comparisonReport(widget(), CITIES(), ['Bern', ' THUN ', 'bern', 'zurich']);
    expect(report.cities.map((c) => c.city)).toEqual(['thun', 'bern', 'zurich']);
    expect(report.cities[2]).toEqual({
      city: 'zurich',
      name: null,
      temperature: null,
      text: null,
      flow: null,
      danger: { level: null, label: 'unknown: no flow data', source: 'unknown' },
      measuredAt: null,
      coordinates: null,
      error: `Unknown city "zurich". Valid city ids: ${CITY_IDS.join(', ')}.`,
    });
    // Thun's 204 m³/s is below Bern's 228 at the same level.
    expect(report).toMatchObject({ warmest: 'thun', coldest: 'bern', safest: 'thun' });
  });

  it('flags a known city that /widget has no values for', () => {
    const answer = widget();
    delete (answer.value as Widget).values.hagneck;
    expect(comparisonReport(answer, CITIES(), ['hagneck']).cities[0]).toMatchObject({
      city: 'hagneck',
      name: 'Hagneck',
      temperature: null,
      error: 'Upstream has no current data for this city.',
    });
  });
});

describe('forecastReport', () => {
  it("maps Bern's water forecast, weather today, next days and sunshine", () => {
    const report = forecastReport('bern', currentBern());
    expect(report).toMatchObject({
      city: 'bern',
      name: 'Bärn',
      water: {
        now: 12.5,
        in2h: 12.7,
        trend: 'stable',
        text: 'Blibt äuä öpe glich',
        textEnglish: 'will probably stay about the same',
        measuredAt: '2023-05-09T11:20:00.000Z',
      },
      weatherToday: BERN_WEATHER_TODAY,
      source: FRESH_SOURCE,
    });
    expect(report.nextDays.map((d) => [d.day, d.dayEnglish, d.date])).toEqual([
      ['Mitwuch', 'Wednesday', '2023-05-10'],
      ['Donschti', 'Thursday', '2023-05-11'],
      ['Friti', 'Friday', '2023-05-12'],
      ['Samschti', 'Saturday', '2023-05-13'],
    ]);
    expect(report.nextDays[0]).toEqual({
      day: 'Mitwuch',
      dayEnglish: 'Wednesday',
      date: '2023-05-10',
      description: 'e gutsch',
      descriptionEnglish: 'a downpour',
      symbol: 10,
      airTemperature: null,
      airTemperatureMax: 14,
      airTemperatureMin: 10,
      precipitationMm: 5,
      precipitationRiskPercent: 90,
    });
    expect(report.nextDays[3]).toMatchObject({
      description: 'bewöukt',
      airTemperatureMax: 15,
      airTemperatureMin: 7,
      precipitationRiskPercent: 30,
    });
    // Today first, then upstream's days "1".."4" in order.
    expect(report.sunshine).toEqual([
      { day: 'today', dayEnglish: 'today', total: '3:20', relativePercent: 23 },
      { day: 'Mitwuch', dayEnglish: 'Wednesday', total: '3:10', relativePercent: 22 },
      { day: 'Donschti', dayEnglish: 'Thursday', total: '2:54', relativePercent: 20 },
      { day: 'Friti', dayEnglish: 'Friday', total: '3:15', relativePercent: 22 },
      { day: 'Samschti', dayEnglish: 'Saturday', total: '4:16', relativePercent: 29 },
    ]);
  });

  it('reads the water trend from now towards the 2-hour forecast', () => {
    const rising = currentBern();
    rising.value.aare!.forecast2h = 13.1;
    expect(forecastReport('bern', rising).water.trend).toBe('rising');
  });

  it("maps Thun's shorter forecast", () => {
    const report = forecastReport('thun', currentThun());
    expect(report.water).toMatchObject({ now: 17.2, in2h: 17.3, trend: 'stable' });
    expect(report.nextDays).toHaveLength(2);
    expect(report.sunshine).toEqual([
      { day: 'today', dayEnglish: 'today', total: '3:52', relativePercent: 27 },
      { day: 'Zischti', dayEnglish: 'Tuesday', total: '10:11', relativePercent: 73 },
      { day: 'Mitwuch', dayEnglish: 'Wednesday', total: '7:15', relativePercent: 52 },
    ]);
  });

  it('has no water values and no sunshine when upstream sends neither', () => {
    const current = currentBern();
    const value: Current = { ...current.value, aare: null, sun: null };
    const report = forecastReport('bern', { ...current, value });
    expect(report.name).toBeNull();
    expect(report.water).toEqual({
      now: null,
      in2h: null,
      trend: 'unknown',
      text: null,
      textEnglish: null,
      measuredAt: null,
    });
    expect(report.sunshine).toEqual([]);
  });
});
