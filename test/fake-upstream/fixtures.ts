import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES_DIR = join(__dirname, '..', 'fixtures', 'aareguru');

// The fixtures are plain JSON trees; the fake only reshuffles them.
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function readFixture<T = Json>(name: string, dir = FIXTURES_DIR): T {
  return JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;
}

interface CityEntry extends JsonObject {
  city: string;
  name: string;
  longname: string;
  coordinates: JsonObject;
}

/** Everything the fake serves, per endpoint and city, built once from the recorded samples. */
export interface FakeData {
  cities: CityEntry[];
  widget: JsonObject;
  current: Map<string, JsonObject>;
  today: Map<string, JsonObject>;
  history: JsonObject;
}

const clone = <T>(value: T): T => structuredClone(value);

/**
 * One state per city, served alike by every endpoint. Bern, Thun and Interlaken have `/current`
 * samples, and each sample's `aare` block is that city's state; the other cities get Thun's
 * assembled skeleton with their own names, coordinates and the widget sample's values, its past
 * series moved to their time, temperature and flow. The list endpoints (`/cities`, `/widget`)
 * and `/today` then take each city's temperature, flow, times and texts from its `/current`, in
 * their recorded shapes, so no endpoint contradicts another (recorded snapshots of 2023 and
 * 2024 disagree otherwise: Thun 12 °C in the list, 17.2 °C in `/current`).
 */
export function loadFakeData(dir = FIXTURES_DIR): FakeData {
  const recordedCities = readFixture<CityEntry[]>('cities.json', dir);
  const widget = readFixture<JsonObject>('widget.json', dir);
  const widgetValues = widget.values as Record<string, JsonObject>;
  const current = new Map<string, JsonObject>();
  for (const id of ['bern', 'thun', 'interlaken']) {
    current.set(id, readFixture<JsonObject>(`current-${id}.json`, dir));
  }
  const skeleton = readFixture<JsonObject>('current-thun.json', dir);
  for (const city of recordedCities) {
    if (current.has(city.city)) continue;
    current.set(city.city, assembledCurrent(skeleton, city, widgetValues[city.city] ?? {}));
  }

  const data: FakeData = {
    cities: recordedCities,
    widget,
    current,
    today: new Map(),
    history: readFixture<JsonObject>('history-bern.json', dir),
  };
  for (const id of current.keys()) deriveFromCurrent(data, id);
  return data;
}

/** A change to a city's live measurement, as tests make it. */
export interface LiveChange {
  /** Water °C; the served value is rounded to 0.1 °C, `temperature_prec` to 0.01 °C. */
  temperature?: number | null;
  /** m³/s. */
  flow?: number | null;
  /** Measurement time, Unix seconds; 600 s (one upstream interval) after the last by default. */
  timestamp?: number;
}

const MEASUREMENT_INTERVAL_SECONDS = 600;

const swissTime = new Intl.DateTimeFormat('de-CH', {
  timeZone: 'Europe/Zurich',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/**
 * Applies a new measurement to a city's `/current` (its `aare` block, and a point at the end of
 * its past series, so the series still ends where the present begins) and rederives what the
 * other endpoints show of it. False for a city the fake does not serve.
 */
export function changeCity(data: FakeData, id: string, change: LiveChange): boolean {
  const payload = data.current.get(id);
  if (!payload) return false;
  const aare = payload.aare as JsonObject;
  const timestamp = change.timestamp ?? Number(aare.timestamp) + MEASUREMENT_INTERVAL_SECONDS;
  aare.timestamp = timestamp;
  aare.timestring = swissTime.format(new Date(timestamp * 1000));
  if (change.temperature !== undefined) {
    aare.temperature = roundTo(change.temperature, 1);
    aare.temperature_prec = roundTo(change.temperature, 2);
  }
  if (change.flow !== undefined) aare.flow = change.flow;
  const past = payload.aarepast as JsonObject[];
  const point = { timestamp, flow: aare.flow, temperature: aare.temperature_prec };
  if (past.length && Number(past.at(-1)!.timestamp) >= timestamp) {
    past[past.length - 1] = { ...past.at(-1)!, ...point };
  } else {
    past.push(point);
  }
  deriveFromCurrent(data, id);
  return true;
}

const roundTo = (value: number | null, digits: number): number | null =>
  value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * The list endpoints (`/cities`, `/widget`) and `/today` take a city's temperature, flow, times
 * and texts from its `/current`, in their recorded shapes.
 */
function deriveFromCurrent(data: FakeData, id: string): void {
  const payload = data.current.get(id)!;
  const aare = payload.aare as JsonObject;
  const index = data.cities.findIndex((city) => city.city === id);
  if (index >= 0) {
    data.cities[index] = {
      ...data.cities[index],
      aare: aare.temperature,
      aare_prec: aare.temperature_prec,
      time: aare.timestamp,
    };
  }
  const widgetValues = data.widget.values as Record<string, JsonObject>;
  if (widgetValues[id]) widgetValues[id] = { ...widgetValues[id], ...widgetValuesOf(payload) };
  data.today.set(id, todayOf(payload));
}

/** A `/current` for a city without a sample: the skeleton carrying the widget's values. */
function assembledCurrent(skeleton: JsonObject, city: CityEntry, live: JsonObject): JsonObject {
  const payload = clone(skeleton);
  const aare = payload.aare as JsonObject;
  const base = clone(aare);
  Object.assign(aare, {
    location: city.name,
    location_long: city.longname,
    coordinates: clone(city.coordinates),
    timestamp: live.timestamp ?? aare.timestamp,
    timestring: live.timestring ?? aare.timestring,
    temperature: live.temperature ?? null,
    temperature_prec: live.temperature ?? null,
    temperature_text: live.temperature_text ?? null,
    temperature_text_short: live.temperature_text_short ?? null,
    flow: live.flow ?? null,
    flow_text: live.flow_text ?? null,
    forecast2h: live.forecast2h ?? null,
    height: null,
  });
  payload.aarepast = movedSeries(payload.aarepast as JsonObject[], base, aare);
  const weather = payload.weather as { current: JsonObject };
  if (live.tt !== undefined) weather.current.tt = live.tt;
  const sun = payload.sun as { today: JsonObject };
  if (live.suntotal !== undefined) sun.today.suntotal = live.suntotal;
  return payload;
}

/** The skeleton's past series moved to another city's time, temperature and flow. */
function movedSeries(series: JsonObject[], from: JsonObject, to: JsonObject): JsonObject[] {
  const shift = Number(to.timestamp) - Number(from.timestamp);
  const warmer = (t: Json) =>
    typeof t === 'number' && typeof to.temperature === 'number'
      ? Math.round((t + to.temperature - Number(from.temperature)) * 100) / 100
      : null;
  const flow = (f: Json) =>
    typeof f === 'number' && typeof to.flow === 'number'
      ? Math.round((f * to.flow) / Number(from.flow))
      : null;
  return series.map((point) => ({
    ...point,
    timestamp: Number(point.timestamp) + shift,
    temperature: warmer(point.temperature),
    flow: flow(point.flow),
  }));
}

/** What the widget shows of a city, from its `/current`. */
function widgetValuesOf(payload: JsonObject): JsonObject {
  const aare = payload.aare as JsonObject;
  const weather = payload.weather as { current: JsonObject };
  const sun = payload.sun as { today: JsonObject };
  return {
    timestamp: aare.timestamp,
    timestring: aare.timestring,
    temperature: aare.temperature,
    temperature_text: aare.temperature_text,
    temperature_text_short: aare.temperature_text_short,
    flow: aare.flow,
    flow_text: aare.flow_text,
    forecast2h: aare.forecast2h,
    tt: weather.current.tt,
    suntotal: sun.today.suntotal,
  };
}

/** `/today` is `/current`'s headline in another envelope (the field mapping is upstream's). */
function todayOf(payload: JsonObject): JsonObject {
  const aare = payload.aare as JsonObject;
  return {
    aare: aare.temperature,
    aare_prec: aare.temperature_prec,
    text: aare.temperature_text,
    text_short: aare.temperature_text_short,
    time: aare.timestamp,
    name: aare.location,
    longname: aare.location_long,
  };
}

/** Every leaf to null, keeping the structure: upstream warns any value can be null at any time. */
export function blankLeaves(value: Json): Json {
  if (Array.isArray(value)) return value.map(blankLeaves);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, blankLeaves(inner)]),
    );
  }
  return null;
}

/** Upstream is PHP: `json_encode` escapes non-ASCII as \u00e4 and slashes as \/. */
export function phpJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\//g, '\\/');
}
