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
 * Bern, Thun and Interlaken have `/current` samples; the other cities get Thun's assembled
 * skeleton with their own names, coordinates and the headline values from the widget sample.
 * `/today` is derived from `/current` where no sample exists (the field mapping is documented).
 */
export function loadFakeData(dir = FIXTURES_DIR): FakeData {
  const cities = readFixture<CityEntry[]>('cities.json', dir);
  const widget = readFixture<JsonObject>('widget.json', dir);
  const widgetValues = widget.values as Record<string, JsonObject>;
  const current = new Map<string, JsonObject>();
  for (const id of ['bern', 'thun', 'interlaken']) {
    current.set(id, readFixture<JsonObject>(`current-${id}.json`, dir));
  }
  const skeleton = readFixture<JsonObject>('current-thun.json', dir);
  for (const city of cities) {
    if (current.has(city.city)) continue;
    const payload = clone(skeleton);
    const aare = payload.aare as JsonObject;
    const live = widgetValues[city.city] ?? {};
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
    current.set(city.city, payload);
  }

  const today = new Map<string, JsonObject>();
  today.set('bern', readFixture<JsonObject>('today-bern.json', dir));
  today.set('interlaken', readFixture<JsonObject>('today-interlaken.json', dir));
  for (const [id, payload] of current) {
    if (today.has(id)) continue;
    const aare = payload.aare as JsonObject;
    today.set(id, {
      aare: aare.temperature,
      aare_prec: aare.temperature_prec,
      text: aare.temperature_text,
      text_short: aare.temperature_text_short,
      time: aare.timestamp,
      name: aare.location,
      longname: aare.location_long,
    });
  }

  return {
    cities,
    widget,
    current,
    today,
    history: readFixture<JsonObject>('history-bern.json', dir),
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
