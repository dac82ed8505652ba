import {
  answersIn,
  CallAnswers,
  canShowForms,
  chosenCity,
  cityQuestion,
  confirmedRange,
  longRangeOf,
  matchingCities,
  NotConfirmedError,
  QuestionAsked,
  rangeQuestion,
} from './questions';

const CITIES = [
  { city: 'brienz', name: 'Brienz' },
  { city: 'interlaken', name: 'Interlaken' },
  { city: 'thun', name: 'Thun' },
  { city: 'bern', name: 'Bern' },
  { city: 'biel', name: 'Biel' },
  { city: 'olten', name: null },
];

const DAY = 86400;
const END = Date.UTC(2026, 11, 2) / 1000;

describe('canShowForms', () => {
  it.each([
    [undefined, false],
    [{}, false],
    [{ sampling: {} }, false],
    [{ elicitation: {} }, true],
    [{ elicitation: { form: {} } }, true],
    [{ elicitation: { form: {}, url: {} } }, true],
    [{ elicitation: { url: {} } }, false],
  ])('%j → %s', (capabilities, expected) => {
    expect(canShowForms(capabilities)).toBe(expected);
  });
});

describe('answersIn', () => {
  it('reads accepted, declined and cancelled elicitation answers; skips anything else', () => {
    expect(
      answersIn({
        city: { action: 'accept', content: { city: 'thun' } },
        range: { action: 'decline' },
        other: { action: 'cancel' },
        roots: { roots: [] },
      }),
    ).toEqual({
      city: { action: 'accept', content: { city: 'thun' } },
      range: { action: 'decline' },
      other: { action: 'cancel' },
    });
    expect(answersIn(undefined)).toEqual({});
  });
});

describe('CallAnswers', () => {
  it('answers what was answered and pauses the call for anything else', () => {
    const answers = new CallAnswers({ city: { action: 'decline' } });
    expect(answers.answer('city')).toEqual({ action: 'decline' });
    expect(answers.answer('range')).toBeUndefined();
    expect(answers.answer('toString')).toBeUndefined();
    const question = {
      message: 'Which?',
      requestedSchema: { type: 'object' as const, properties: {} },
    };
    expect(() => answers.ask('range', question)).toThrow(QuestionAsked);
  });
});

describe('city questions', () => {
  it('finds cities by id or name, accents and case aside, not by one letter', () => {
    expect(matchingCities('BRIENZ ', CITIES).map((c) => c.city)).toEqual(['brienz']);
    expect(matchingCities('bi', CITIES).map((c) => c.city)).toEqual(['biel']);
    expect(matchingCities('Thün', CITIES).map((c) => c.city)).toEqual(['thun']);
    expect(matchingCities('b', CITIES)).toEqual([]);
    expect(matchingCities('zürich', CITIES)).toEqual([]);
  });

  it('offers only the matches when several fit', () => {
    const question = cityQuestion('er', CITIES);
    expect(question.message).toBe(
      '"er" matches several places on the Aare. Which one do you mean?',
    );
    expect(question.requestedSchema).toEqual({
      type: 'object',
      properties: {
        city: {
          type: 'string',
          title: 'City',
          oneOf: [
            { const: 'interlaken', title: 'Interlaken' },
            { const: 'bern', title: 'Bern' },
          ],
        },
      },
      required: ['city'],
    });
  });

  it('offers every city with display names, preselecting the one close match', () => {
    const close = cityQuestion('interlake', CITIES);
    expect(close.message).toBe(
      'aare.guru has no city "interlake". Which place on the Aare do you mean?',
    );
    const field = close.requestedSchema.properties.city as { oneOf: unknown[]; default?: string };
    expect(field.oneOf).toHaveLength(CITIES.length);
    expect(field.oneOf).toContainEqual({ const: 'olten', title: 'olten' });
    expect(field.default).toBe('interlaken');

    const none = cityQuestion('atlantis', CITIES).requestedSchema.properties.city;
    expect(none).not.toHaveProperty('default');
  });

  it('takes a picked city only from an accepted answer', () => {
    expect(chosenCity({ action: 'accept', content: { city: 'thun' } })).toBe('thun');
    expect(chosenCity({ action: 'accept', content: { city: 42 } })).toBeUndefined();
    expect(chosenCity({ action: 'accept', content: {} })).toBeUndefined();
    expect(chosenCity({ action: 'decline' })).toBeUndefined();
    expect(chosenCity(undefined)).toBeUndefined();
  });
});

describe('long history ranges', () => {
  it('are those longer than the configured days', () => {
    expect(longRangeOf({ start: END - 31 * DAY, end: END }, 31)).toBeNull();
    expect(longRangeOf({ start: END - 90 * DAY, end: END }, 31)).toEqual({
      start: END - 90 * DAY,
      end: END,
      days: 90,
      confirmDays: 31,
      shorterStart: END - 31 * DAY,
    });
  });

  it('ask to fetch all of it or only the last days', () => {
    const long = longRangeOf({ start: END - 90 * DAY, end: END }, 31)!;
    const question = rangeQuestion('bern', long);
    expect(question.message).toBe(
      '90 days of history for bern (2026-09-03 to 2026-12-02) is a large request. ' +
        'Fetch all of it, or only the last 31 days?',
    );
    expect(question.requestedSchema.properties.range).toEqual({
      type: 'string',
      title: 'What to fetch',
      oneOf: [
        { const: 'whole', title: 'All 90 days' },
        { const: 'shorter', title: 'Only the last 31 days' },
      ],
      default: 'whole',
    });
  });

  it('fetch what was confirmed, and nothing after a refusal', () => {
    const long = longRangeOf({ start: END - 90 * DAY, end: END }, 31)!;
    const whole = { start: END - 90 * DAY, end: END };
    expect(confirmedRange(long, { action: 'accept', content: { range: 'whole' } })).toEqual(whole);
    expect(confirmedRange(long, { action: 'accept', content: { range: 'shorter' } })).toEqual({
      start: END - 31 * DAY,
      end: END,
    });
    // An answer off the form's schema is not a confirmation of anything.
    for (const content of [{}, { range: 'x' }, { range: 5 }])
      expect(() => confirmedRange(long, { action: 'accept', content })).toThrow(
        new NotConfirmedError(
          'Nothing was fetched: the answer was not one of the choices offered for the 90-day range.',
        ),
      );
    for (const action of ['decline', 'cancel'] as const) {
      expect(() => confirmedRange(long, { action })).toThrow(
        new NotConfirmedError(
          'Nothing was fetched: the 90-day range was not confirmed. Ask again for at most 31 days, ' +
            'or confirm the longer range.',
        ),
      );
    }
  });
});
