import { z } from 'zod';
import { TRENDS } from '../domain/temperature-trend';

/**
 * The shapes the Aare reports take. They are the tools' output schemas and, inferred, the
 * report service's return types, so the two cannot drift apart.
 */

const nullableNumber = z.number().nullable();
const nullableString = z.string().nullable();
const trendSchema = z.enum(TRENDS);

export const ATTRIBUTION =
  'Data: aare.guru (https://aare.guru). Hydrological data: Swiss Federal Office for the Environment BAFU (https://www.hydrodaten.admin.ch).';

export const freshnessSchema = z
  .object({
    stale: z
      .boolean()
      .describe('True when upstream is failing and an earlier answer is served instead.'),
    ageSeconds: z.number().describe('How long ago this server fetched the data from upstream.'),
    fetchedAt: z.string().describe('When this server fetched the data (ISO 8601, UTC).'),
    attribution: z.string(),
  })
  .describe('Where the data comes from and how fresh it is.');

const measuredAt = nullableString.describe('Time of the water measurement (ISO 8601, UTC).');
const measuredAtLocal = nullableString.describe('The same time in Swiss local time (HH:MM).');

const levelSchema = z
  .number()
  .int()
  .min(1)
  .max(5)
  .nullable()
  .describe('BAFU danger level 1 (no or low danger) to 5 (very high danger); null when unknown.');
const levelSourceSchema = z
  .enum(['upstream', 'computed', 'unknown'])
  .describe(
    "'upstream': BAFU's level as reported by aare.guru; 'computed': derived from the flow; 'unknown': no flow data.",
  );

const dangerSchema = z.object({
  level: levelSchema,
  label: z.string(),
  source: levelSourceSchema,
});

const citySuggestion = z.object({
  city: z.string(),
  name: nullableString,
  temperature: z.number(),
});

export const temperatureReportSchema = z.object({
  city: z.string().describe('City id.'),
  name: nullableString.describe('Display name in Bernese Swiss German.'),
  temperature: nullableNumber.describe('Water temperature in °C, one decimal.'),
  temperaturePrecise: nullableNumber.describe('Water temperature in °C, two decimals.'),
  text: nullableString.describe("Upstream's Swiss German phrase for the temperature."),
  textShort: nullableString.describe('Short form of the phrase.'),
  textEnglish: nullableString.describe('Plain-English reading of the phrase, when known.'),
  measuredAt,
  measuredAtLocal,
  forecast2h: nullableNumber.describe('Expected water temperature in 2 hours, °C.'),
  trend: trendSchema,
  warmerAlternative: citySuggestion
    .nullable()
    .describe('When the water is cold (below 16 °C): the warmest other city right now.'),
  source: freshnessSchema,
});

const weatherPeriodSchema = z.object({
  description: nullableString.describe('Swiss German weather text (e.g. "bewöukt").'),
  descriptionEnglish: nullableString,
  symbol: nullableNumber.describe('Meteotest weather symbol number.'),
  airTemperature: nullableNumber.describe('°C'),
  precipitationMm: nullableNumber,
  precipitationRiskPercent: nullableNumber,
});

const weatherDaySchema = weatherPeriodSchema.extend({
  day: nullableString.describe('Weekday in Swiss German.'),
  dayEnglish: nullableString,
  date: nullableString.describe('ISO date (UTC) of the day.'),
  airTemperatureMax: nullableNumber,
  airTemperatureMin: nullableNumber,
});

const todaySchema = z.object({
  morning: weatherPeriodSchema.nullable(),
  afternoon: weatherPeriodSchema.nullable(),
  evening: weatherPeriodSchema.nullable(),
});

export const conditionsReportSchema = z.object({
  city: z.string(),
  name: nullableString,
  water: z.object({
    temperature: nullableNumber,
    temperaturePrecise: nullableNumber,
    text: nullableString,
    textShort: nullableString,
    textEnglish: nullableString,
    flow: nullableNumber.describe('Discharge in m³/s.'),
    flowText: nullableString,
    flowTextEnglish: nullableString,
    height: nullableNumber.describe('Water level in m above sea level.'),
    measuredAt,
    measuredAtLocal,
  }),
  danger: dangerSchema,
  weather: z.object({
    now: z.object({
      airTemperature: nullableNumber,
      precipitationMm: nullableNumber.describe('Last 10 minutes.'),
      measuredAt: nullableString,
    }),
    today: todaySchema,
  }),
  sun: z.object({
    todayTotal: nullableString.describe('Expected sunshine today (H:MM).'),
    todayRelativePercent: nullableNumber,
    spots: z
      .array(
        z.object({
          name: nullableString,
          sunset: nullableString.describe('ISO 8601, UTC'),
          sunsetLocal: nullableString,
          sunLeft: nullableString.describe(
            'Sunshine left at the time upstream answered (H:MM:SS).',
          ),
          sunLeftSeconds: nullableNumber,
        }),
      )
      .describe('Bathing spots and their sun.'),
  }),
  bueber: z
    .object({ open: z.boolean().nullable(), state: nullableString, since: nullableString })
    .nullable()
    .describe("Bern's Marzili swimming channel; null where upstream has none."),
  last24h: z.object({
    minTemperature: nullableNumber,
    maxTemperature: nullableNumber,
    points: z.number(),
  }),
  source: freshnessSchema,
});

export const cityListSchema = z.object({
  cities: z.array(
    z.object({
      id: z.string(),
      name: nullableString,
      longName: nullableString,
      coordinates: z.object({ lat: nullableNumber, lon: nullableNumber }).nullable(),
      temperature: nullableNumber,
      measuredAt,
    }),
  ),
  source: freshnessSchema,
});

export const dangerReportSchema = z.object({
  city: z.string(),
  name: nullableString,
  flow: nullableNumber.describe('Discharge in m³/s; null when the station has no flow data.'),
  flowText: nullableString,
  flowTextEnglish: nullableString,
  level: levelSchema,
  label: z.string(),
  levelSource: levelSourceSchema,
  thresholds: z
    .array(z.object({ level: z.number(), label: z.string(), minFlow: z.number() }))
    .describe('Flow (m³/s) at which each level starts when the level is computed from the flow.'),
  advice: z.string(),
  measuredAt,
  measuredAtLocal,
  source: freshnessSchema,
});

const seriesPointSchema = z.object({ timestamp: z.number(), value: nullableNumber });
const summarySchema = z.object({
  count: z.number(),
  min: nullableNumber,
  max: nullableNumber,
  mean: nullableNumber,
  first: nullableNumber,
  last: nullableNumber,
  trend: trendSchema,
});

export const historyReportSchema = z.object({
  city: z.string(),
  start: z.string().describe('ISO 8601, UTC'),
  end: z.string().describe('ISO 8601, UTC'),
  granularity: z.object({ seconds: nullableNumber, label: z.string() }),
  temperature: z.object({ summary: summarySchema, points: z.array(seriesPointSchema) }),
  flow: z.object({ summary: summarySchema, points: z.array(seriesPointSchema) }),
  downsampled: z
    .boolean()
    .describe('True when the series were averaged down to keep the answer readable.'),
  source: freshnessSchema,
});

const comparisonEntrySchema = z.object({
  city: z.string(),
  name: nullableString,
  temperature: nullableNumber,
  text: nullableString,
  flow: nullableNumber,
  danger: dangerSchema,
  measuredAt,
  coordinates: z
    .object({ lat: nullableNumber, lon: nullableNumber })
    .nullable()
    .describe("The station's position (WGS 84), as upstream lists it; null when unknown."),
  error: nullableString.describe('Why this city has no data, when it has none.'),
});

export const comparisonReportSchema = z.object({
  cities: z
    .array(comparisonEntrySchema)
    .describe('Ranked warmest first; cities without data last.'),
  warmest: nullableString,
  coldest: nullableString,
  safest: nullableString.describe('Lowest danger level, then lowest flow.'),
  source: freshnessSchema,
});

export const forecastReportSchema = z.object({
  city: z.string(),
  name: nullableString,
  water: z.object({
    now: nullableNumber,
    in2h: nullableNumber,
    trend: trendSchema,
    text: nullableString.describe("Upstream's Swiss German text for the 2-hour forecast."),
    textEnglish: nullableString,
    measuredAt,
  }),
  weatherToday: todaySchema,
  nextDays: z.array(weatherDaySchema),
  sunshine: z.array(
    z.object({
      day: nullableString,
      dayEnglish: nullableString,
      total: nullableString.describe('H:MM'),
      relativePercent: nullableNumber,
    }),
  ),
  source: freshnessSchema,
});

export type Freshness = z.infer<typeof freshnessSchema>;
export type TemperatureReport = z.infer<typeof temperatureReportSchema>;
export type ConditionsReport = z.infer<typeof conditionsReportSchema>;
export type CityList = z.infer<typeof cityListSchema>;
export type DangerReport = z.infer<typeof dangerReportSchema>;
export type HistoryReport = z.infer<typeof historyReportSchema>;
export type ComparisonReport = z.infer<typeof comparisonReportSchema>;
export type ForecastReport = z.infer<typeof forecastReportSchema>;
export type WeatherPeriod = z.infer<typeof weatherPeriodSchema>;
export type WeatherDay = z.infer<typeof weatherDaySchema>;
