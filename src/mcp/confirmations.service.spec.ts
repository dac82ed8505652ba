import type { AareguruService } from '../aareguru/aareguru.service';
import type { AareguruConfig, AuthConfig } from '../config/configuration.types';
import { HistoryRangeError } from '../domain/history-dates';
import { ConfirmationsService } from './confirmations.service';
import { CallAnswers, NotConfirmedError, QuestionAsked, RANGE_QUESTION } from './questions';

const NOW_MS = Date.UTC(2026, 11, 2, 12, 0, 0);
const NOW = NOW_MS / 1000;
const DAY = 86400;

function service(auth: Partial<AuthConfig> = {}): ConfirmationsService {
  const cities = {
    cities: () =>
      Promise.resolve({
        value: [
          { city: 'bern', name: 'Bärn' },
          { city: 'thun', name: 'Thun' },
        ],
      }),
  } as unknown as AareguruService;
  const upstream = {
    historyMaxRangeDays: 366,
    historyConfirmDays: 31,
    historyEarliest: Date.UTC(2017, 0, 1) / 1000,
  } as AareguruConfig;
  return new ConfirmationsService(cities, { now: () => NOW_MS }, upstream, auth as AuthConfig);
}

describe('ConfirmationsService.historyRange', () => {
  it('leaves every range alone when the person cannot be asked', () => {
    expect(service().historyRange('bern', '-90 days', 'now', undefined)).toEqual({
      start: '-90 days',
      end: 'now',
    });
  });

  it('leaves a range of up to HISTORY_CONFIRM_DAYS alone', () => {
    const ask = new CallAnswers({});
    expect(service().historyRange('bern', '-31 days', 'now', ask)).toEqual({
      start: '-31 days',
      end: 'now',
    });
  });

  it('asks about a longer one, then fetches what was confirmed', () => {
    const confirmations = service();
    let asked: unknown;
    try {
      confirmations.historyRange('bern', '-90 days', 'now', new CallAnswers({}));
    } catch (error) {
      asked = error;
    }
    expect(asked).toBeInstanceOf(QuestionAsked);
    expect((asked as QuestionAsked).key).toBe(RANGE_QUESTION);

    const whole = new CallAnswers({ range: { action: 'accept', content: { range: 'whole' } } });
    expect(confirmations.historyRange('bern', '-90 days', 'now', whole)).toEqual({
      start: NOW - 90 * DAY,
      end: NOW,
    });
    const shorter = new CallAnswers({ range: { action: 'accept', content: { range: 'shorter' } } });
    expect(confirmations.historyRange('bern', '-90 days', 'now', shorter)).toEqual({
      start: NOW - 31 * DAY,
      end: NOW,
    });
    const declined = new CallAnswers({ range: { action: 'decline' } });
    expect(() => confirmations.historyRange('bern', '-90 days', 'now', declined)).toThrow(
      NotConfirmedError,
    );
  });

  it('refuses a range that cannot be served before asking anything', () => {
    expect(() => service().historyRange('bern', '-400 days', 'now', new CallAnswers({}))).toThrow(
      HistoryRangeError,
    );
  });
});

describe('ConfirmationsService cities and state', () => {
  it('offers upstream cities with their display names', async () => {
    const question = await service().cityQuestion('atlantis');
    expect(question.requestedSchema.properties.city).toMatchObject({
      oneOf: [
        { const: 'bern', title: 'Bärn' },
        { const: 'thun', title: 'Thun' },
      ],
    });
  });

  it('asks about a city once per call and takes the pick from an accepted answer', () => {
    const confirmations = service();
    expect(confirmations.mayAskCity(undefined)).toBe(false);
    expect(confirmations.mayAskCity(new CallAnswers({}))).toBe(true);
    const picked = new CallAnswers({ city: { action: 'accept', content: { city: 'thun' } } });
    expect(confirmations.mayAskCity(picked)).toBe(false);
    expect(confirmations.chosenCity(picked)).toBe('thun');
    expect(confirmations.chosenCity(new CallAnswers({ city: { action: 'cancel' } }))).toBe(
      undefined,
    );
  });

  it('signs state that only a service with the same key accepts', async () => {
    const ctx = { mcpReq: { method: 'tools/call' } } as never;
    const key = 'x'.repeat(40);
    const state = { tool: 'get_historical_data', args: '{}', answers: {} };
    const minted = await service({ requestStateKey: key }).stateCodec.mint(state, ctx);
    await expect(service({ requestStateKey: key }).stateCodec.verify(minted, ctx)).resolves.toEqual(
      state,
    );
    await expect(service().stateCodec.verify(minted, ctx)).rejects.toThrow();
  });
});
