import { z } from 'zod';

/**
 * Upstream's maintainers warn that any value may be null at any time, and whole numbers arrive
 * as integers, fractions as floats. Every leaf therefore parses to its type or to null: a wrong
 * or missing value never fails the whole response, only a wrong overall shape does.
 */
const num = z.number().finite().nullable().catch(null);
const str = z.string().nullable().catch(null);
const bool = z.boolean().nullable().catch(null);

/** Parses each item on its own and drops the broken ones instead of failing the whole array. */
function keepValid<T extends z.ZodType>(item: T) {
  return (items: unknown[]): z.output<T>[] =>
    items.flatMap((raw) => {
      const parsed = item.safeParse(raw);
      return parsed.success ? [parsed.data as z.output<T>] : [];
    });
}

/** A nested array: anything that is not an array reads as empty. */
function lenientArray<T extends z.ZodType>(item: T) {
  return z.array(z.unknown()).catch([]).transform(keepValid(item));
}

function nullableObject<T extends z.ZodRawShape>(shape: T) {
  return z.object(shape).nullable().catch(null);
}

const coordinates = nullableObject({ lat: num, lon: num });

/** Lower bounds (position "start") or upper bounds ("end") of upstream's phrase scales. */
const scaleStep = z.object({ value: num, text: str, position: str });

export const citySchema = z.object({
  city: z.string().min(1),
  name: str,
  longname: str,
  coordinates,
  aare: num,
  aare_prec: num,
  sy: num,
  tn: num,
  tx: num,
  forecast: bool,
  time: num,
  url: str,
  today: str,
  widget: str,
});
/** The top level must be an array; entries without a city id are dropped. */
export const citiesSchema = z.array(z.unknown()).transform(keepValid(citySchema));

export const todaySchema = z.object({
  aare: num,
  aare_prec: num,
  text: str,
  text_short: str,
  time: num,
  name: str,
  longname: str,
});

const aareNow = nullableObject({
  location: str,
  location_long: str,
  coordinates,
  forecast: bool,
  timestamp: num,
  timestring: str,
  temperature: num,
  temperature_prec: num,
  temperature_text: str,
  temperature_text_short: str,
  flow: num,
  flow_text: str,
  forecast2h: num,
  forecast2h_text: str,
  height: num,
  temperature_scale: lenientArray(scaleStep),
  flow_scale: lenientArray(scaleStep),
  historical_temp_max: nullableObject({ value: num, timestamp: num }),
  flow_gefahrenstufe: num,
});

const weatherPeriod = nullableObject({
  sy: str,
  symt: num,
  syt: str,
  tt: num,
  rr: num,
  rrisk: num,
});

const weatherDay = z.object({
  day: str,
  dayshort: str,
  timestamp: num,
  sy: str,
  symt: num,
  syt: str,
  tx: num,
  tn: num,
  rr: num,
  rrisk: num,
});

const sunDay = z.object({ day: str, dayshort: str, suntotal: str, sunrelative: num });

const sunLocation = z.object({
  name: str,
  sunrise: num,
  sunriselocal: str,
  sunset: num,
  sunsetlocal: str,
  timeleft: num,
  timeleftstring: str,
});

export const currentSchema = z.object({
  aare: aareNow,
  aarepast: lenientArray(z.object({ timestamp: z.number(), flow: num, temperature: num })),
  weather: nullableObject({
    current: nullableObject({
      tt: num,
      rr: num,
      rrreal: num,
      timestamp: num,
      timestring: str,
    }),
    today: nullableObject({ v: weatherPeriod, n: weatherPeriod, a: weatherPeriod }),
    forecast: lenientArray(weatherDay),
  }),
  weatherpast: lenientArray(z.object({ timestamp: z.number(), tt: num })),
  sun: nullableObject({
    today: nullableObject({ suntotal: str, sunrelative: num }),
    // Upstream sends an object keyed "1".."4", not an array.
    forecast: z
      .record(z.string(), z.unknown())
      .catch({})
      .transform((days) =>
        Object.keys(days)
          .sort((a, b) => Number(a) - Number(b))
          .flatMap((key) => {
            const parsed = sunDay.safeParse(days[key]);
            return parsed.success ? [parsed.data] : [];
          }),
      ),
    sunlocations: lenientArray(sunLocation),
  }),
  bueber: nullableObject({ state: str, state_open_flag: bool, source: str, time: num }),
  notification: nullableObject({ time: num, author: str, event: str }),
});

export const widgetCitySchema = z.object({
  timestamp: num,
  timestring: str,
  temperature: num,
  temperature_text: str,
  temperature_text_short: str,
  flow: num,
  flow_text: str,
  flow_gefahrenstufe: num,
  forecast2h: num,
  tt: num,
  suntotal: str,
});

export const widgetSchema = z.object({
  values: z.record(z.string(), z.unknown()).transform((values) =>
    Object.fromEntries(
      Object.entries(values).flatMap(([city, raw]) => {
        const parsed = widgetCitySchema.safeParse(raw);
        return parsed.success ? [[city, parsed.data] as const] : [];
      }),
    ),
  ),
  cities: lenientArray(z.object({ key: z.string().min(1), name: str })),
});

export type City = z.output<typeof citySchema>;
export type Today = z.output<typeof todaySchema>;
export type Current = z.output<typeof currentSchema>;
export type AareNow = NonNullable<Current['aare']>;
export type WidgetCity = z.output<typeof widgetCitySchema>;
export type Widget = z.output<typeof widgetSchema>;
