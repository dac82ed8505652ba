/**
 * Plain-English readings of the Bernese Swiss German texts upstream is known to send (temperature
 * and flow phrases, the 2-hour forecast text, weather descriptions, weekdays). Upstream picks the
 * phrase; we only explain it. A phrase not listed here gets no invented translation.
 */
const PHRASES: Readonly<Record<string, string>> = {
  // Water temperature, normal scale
  'iglu boue bringts meh': 'building an igloo would make more sense (far too cold to swim)',
  'uschaflig chaut': 'awfully cold',
  'ender früsch': 'rather fresh',
  'me chas wage': 'you can risk it',
  'rächt guet': 'pretty good',
  'ja eh!': 'oh yes! (great for a swim)',
  plütterwarm: 'pleasantly warm',
  spaghettiwasser: 'spaghetti water (very warm)',
  'chasch strahlend feini wienerli choche': 'you could cook sausages in it',
  // Water temperature, high-water scale
  'las vilech gschider lasii': 'perhaps better leave it',
  'viu chauts wasser': 'a lot of cold water',
  'mit de boumstäm schwümme': 'swimming with the tree trunks',
  'rächt gut. mit viu wasser': 'pretty good, with a lot of water',
  'es het mega schriis': 'it is very busy',
  'es het megaviu schriis': 'it is extremely busy',
  'geduld, geduld': 'patience, patience',
  // Short texts
  'iglu boue': 'build an igloo',
  'uuuh chaut': 'brrr, cold',
  'gschider la si': 'better not',
  'viu wasser': 'a lot of water',
  'zvil boumstäm': 'too many tree trunks',
  'mit viu wasser': 'with a lot of water',
  // Flow
  'nid viu': 'not much',
  'eher wenig': 'rather little',
  'ganz gäbig': 'just right',
  'ender viu': 'rather a lot',
  'mega viu': 'a whole lot',
  'brutal viu!': 'brutally much!',
  'extrem viu!': 'extremely much!',
  'hochwasser!': 'flood!',
  'mega hochwasser!': 'major flood!',
  'jahrhunderthochwasser!': 'flood of the century!',
  // 2-hour forecast
  'blibt äuä öpe glich': 'will probably stay about the same',
  // Weather
  sunnig: 'sunny',
  'zimlech sunnig': 'fairly sunny',
  bewöukt: 'cloudy',
  'starche räge': 'heavy rain',
  'e gutsch': 'a downpour',
  'es schneerägeli': 'a little sleet',
  // Weekdays
  mäntig: 'Monday',
  zischti: 'Tuesday',
  mitwuch: 'Wednesday',
  donschti: 'Thursday',
  friti: 'Friday',
  samschti: 'Saturday',
  sunti: 'Sunday',
};

/** Upstream sometimes prefixes a warning sign ("⚠️ mega viu"); it is not part of the phrase. */
function normalise(phrase: string): string {
  return phrase
    .replace(/^(?:\s|\u26a0|\ufe0f)+/u, '')
    .trim()
    .toLowerCase();
}

/** The English reading of an upstream phrase, or null when it is not a known one. */
export function explainPhrase(phrase: string | null | undefined): string | null {
  if (!phrase) return null;
  return PHRASES[normalise(phrase)] ?? null;
}

/** `"Uschaflig chaut" (awfully cold)`, or just the quoted phrase when it has no known reading. */
export function quotePhrase(phrase: string | null | undefined): string | null {
  if (!phrase) return null;
  const english = explainPhrase(phrase);
  return english ? `"${phrase}" (${english})` : `"${phrase}"`;
}
