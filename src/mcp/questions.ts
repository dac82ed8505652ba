import type {
  ClientCapabilities,
  ElicitRequestFormParams,
  InputResponses,
} from '@modelcontextprotocol/server';
import { inputResponse } from '@modelcontextprotocol/server';
import type { HistoryRange } from '../domain/history-dates';

/**
 * Questions a tool puts to the person behind the client (MCP elicitation) before it answers: which
 * city was meant, whether a long history range is really wanted. Everything here is pure; the
 * server factory carries the questions and answers over the protocol.
 */

/** What the person did with one question. */
export type Answer =
  { action: 'accept'; content: Record<string, unknown> } | { action: 'decline' | 'cancel' };

/** Answers of one call so far, by question key. */
export type Answers = Record<string, Answer>;

/**
 * What a tool may ask during a call. Only handed to a tool when the client can show a form;
 * without it a tool answers as it always did.
 */
export interface ToolAsk {
  /** The person's answer to `key` earlier in this call, if it was asked. */
  answer(key: string): Answer | undefined;
  /** Pauses the call to ask; the call runs again from the start once the person answered. */
  ask(key: string, question: ElicitRequestFormParams): never;
}

/** Thrown by `ToolAsk.ask`: the server turns it into a question to the client. */
export class QuestionAsked extends Error {
  constructor(
    readonly key: string,
    readonly question: ElicitRequestFormParams,
  ) {
    super(`The call waits for an answer to "${key}".`);
    this.name = 'QuestionAsked';
  }
}

/** The answers one round of a call has: from earlier rounds and the ones this round carries. */
export class CallAnswers implements ToolAsk {
  constructor(readonly answers: Answers) {}

  answer(key: string): Answer | undefined {
    return Object.hasOwn(this.answers, key) ? this.answers[key] : undefined;
  }

  ask(key: string, question: ElicitRequestFormParams): never {
    throw new QuestionAsked(key, question);
  }
}

/** The person turned a question down: nothing was fetched. */
export class NotConfirmedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotConfirmedError';
  }
}

export const CITY_QUESTION = 'city';
export const RANGE_QUESTION = 'range';

/** Form elicitation: an empty `elicitation` object means form (2025-06-18), or `form` is named. */
export function canShowForms(capabilities: ClientCapabilities | undefined): boolean {
  const elicitation = capabilities?.elicitation as Record<string, unknown> | undefined;
  if (!elicitation || typeof elicitation !== 'object') return false;
  return Object.keys(elicitation).length === 0 || 'form' in elicitation;
}

/** The elicitation answers a retried call carries, by the keys it was asked under. */
export function answersIn(
  responses: InputResponses | Record<string, unknown> | undefined,
): Answers {
  const answers: Answers = {};
  for (const key of Object.keys(responses ?? {})) {
    const view = inputResponse(responses, key);
    if (view.kind !== 'elicit') continue;
    answers[key] =
      view.action === 'accept'
        ? { action: 'accept', content: view.content ?? {} }
        : { action: view.action };
  }
  return answers;
}

export interface CityChoice {
  city: string;
  name: string | null;
}

/** Lower case, no accents, letters and digits only: "Brienz (BE)" and "brienz-be" agree. */
function folded(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/** Cities whose id or name contains what was typed (or is contained in it), at least two letters. */
export function matchingCities(typed: string, cities: readonly CityChoice[]): CityChoice[] {
  const wanted = folded(typed);
  if (wanted.length < 2) return [];
  return cities.filter((choice) =>
    [choice.city, choice.name ?? ''].some((label) => {
      const known = folded(label);
      return known.length > 0 && (known.includes(wanted) || wanted.includes(known));
    }),
  );
}

/**
 * Which city did the person mean? Several matches are offered alone; otherwise every city is, with
 * the single match (if any) preselected.
 */
export function cityQuestion(
  typed: string,
  cities: readonly CityChoice[],
): ElicitRequestFormParams {
  const matches = matchingCities(typed, cities);
  const ambiguous = matches.length >= 2;
  const offered = ambiguous ? matches : cities;
  const shown = typed.trim().slice(0, 64);
  return {
    mode: 'form',
    message: ambiguous
      ? `"${shown}" matches several places on the Aare. Which one do you mean?`
      : `aare.guru has no city "${shown}". Which place on the Aare do you mean?`,
    requestedSchema: {
      type: 'object',
      properties: {
        city: {
          type: 'string',
          title: 'City',
          oneOf: offered.map((choice) => ({
            const: choice.city,
            title: choice.name ?? choice.city,
          })),
          ...(matches.length === 1 && { default: matches[0].city }),
        },
      },
      required: ['city'],
    },
  };
}

/** The city the person picked, when the answer is one of the offered ids. */
export function chosenCity(answer: Answer | undefined): string | undefined {
  if (answer?.action !== 'accept') return undefined;
  const city = answer.content.city;
  return typeof city === 'string' && city.length > 0 && city.length <= 64 ? city : undefined;
}

const DAY_SECONDS = 86400;

/** A history range long enough to confirm first, and the shorter one offered instead. */
export interface LongRange extends HistoryRange {
  days: number;
  confirmDays: number;
  /** The start of the last `confirmDays` days before `end`. */
  shorterStart: number;
}

export function longRangeOf(range: HistoryRange, confirmDays: number): LongRange | null {
  const seconds = range.end - range.start;
  if (seconds <= confirmDays * DAY_SECONDS) return null;
  return {
    ...range,
    days: Math.round((seconds / DAY_SECONDS) * 10) / 10,
    confirmDays,
    shorterStart: range.end - confirmDays * DAY_SECONDS,
  };
}

const dateOf = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString().slice(0, 10);

/** Fetch all of a long range, only its last days, or nothing. */
export function rangeQuestion(city: string, long: LongRange): ElicitRequestFormParams {
  return {
    mode: 'form',
    message:
      `${long.days} days of history for ${city.trim().slice(0, 64)} (${dateOf(long.start)} to ` +
      `${dateOf(long.end)}) is a large request. Fetch all of it, or only the last ${long.confirmDays} days?`,
    requestedSchema: {
      type: 'object',
      properties: {
        range: {
          type: 'string',
          title: 'What to fetch',
          oneOf: [
            { const: 'whole', title: `All ${long.days} days` },
            { const: 'shorter', title: `Only the last ${long.confirmDays} days` },
          ],
          default: 'whole',
        },
      },
      required: ['range'],
    },
  };
}

/** The range to fetch after the person answered; a refusal fetches nothing. */
export function confirmedRange(long: LongRange, answer: Answer): HistoryRange {
  if (answer.action !== 'accept') {
    throw new NotConfirmedError(
      `Nothing was fetched: the ${long.days}-day range was not confirmed. Ask again for at most ` +
        `${long.confirmDays} days, or confirm the longer range.`,
    );
  }
  // Only the offered choices count: an answer off the form's schema fetches nothing.
  if (answer.content.range === 'shorter') return { start: long.shorterStart, end: long.end };
  if (answer.content.range === 'whole') return { start: long.start, end: long.end };
  throw new NotConfirmedError(
    `Nothing was fetched: the answer was not one of the choices offered for the ${long.days}-day range.`,
  );
}
