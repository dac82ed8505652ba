import { Inject, Injectable } from '@nestjs/common';
import {
  createRequestStateCodec,
  type ElicitRequestFormParams,
  type RequestStateCodec,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { randomBytes } from 'node:crypto';
import { AareguruService } from '../aareguru/aareguru.service';
import { CLOCK, type Clock } from '../common/clock';
import { AAREGURU_CONFIG, AUTH_CONFIG, REDIS_CONFIG } from '../config/app-config.module';
import type { AareguruConfig, AuthConfig, RedisConfig } from '../config/configuration.types';
import { resolveHistoryRange } from '../domain/history-dates';
import {
  type Answers,
  chosenCity,
  CITY_QUESTION,
  cityQuestion,
  confirmedRange,
  longRangeOf,
  RANGE_QUESTION,
  rangeQuestion,
  type ToolAsk,
} from './questions';

/** What a question carries to the next round: the call it belongs to and the answers so far. */
export interface QuestionState {
  tool: string;
  /** The call's arguments as JSON: a state minted for other arguments is not reused. */
  args: string;
  answers: Answers;
}

/** A person has a few minutes to answer; a later retry asks again. */
const QUESTION_STATE_TTL_SECONDS = 900;

/**
 * The questions tools put to the person (see questions.ts) and the signed state that carries the
 * answers between rounds, with a key every replica shares (REQUEST_STATE_KEY).
 */
@Injectable()
export class ConfirmationsService {
  readonly stateCodec: RequestStateCodec<QuestionState>;
  /**
   * Whether 2025 sessions are asked (through elicitation/create): not with replicas, where the
   * client's answer, a POST of its own, may reach a replica other than the one waiting for it.
   * 2026-07-28 requests carry their state with them and are asked everywhere.
   */
  readonly asksSessions: boolean;

  constructor(
    private readonly aareguru: AareguruService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(AAREGURU_CONFIG) private readonly upstream: AareguruConfig,
    @Inject(AUTH_CONFIG) auth: AuthConfig,
    @Inject(REDIS_CONFIG) redis: Pick<RedisConfig, 'url'> = { url: null },
  ) {
    this.asksSessions = redis.url === null;
    this.stateCodec = createRequestStateCodec<QuestionState>({
      // One process without Redis serves every round of a question, so its own key will do.
      key: auth.requestStateKey ?? randomBytes(32),
      ttlSeconds: QUESTION_STATE_TTL_SECONDS,
      // A state is only good for the caller it was minted for.
      bind: (ctx: ServerContext) => `${ctx.mcpReq.method}\0${ctx.http?.authInfo?.clientId ?? ''}`,
    });
  }

  /**
   * The range to fetch: as asked, unless it is longer than HISTORY_CONFIRM_DAYS and the person can
   * be asked, then what they confirmed. A range that cannot be served fails here as it would
   * upstream of here (the same message).
   */
  historyRange(
    city: string,
    start: string | number,
    end: string | number,
    ask: ToolAsk | undefined,
  ): { start: string | number; end: string | number } {
    if (!ask) return { start, end };
    const range = resolveHistoryRange(start, end, {
      nowMs: this.clock.now(),
      maxRangeDays: this.upstream.historyMaxRangeDays,
      earliest: this.upstream.historyEarliest,
    });
    const long = longRangeOf(range, this.upstream.historyConfirmDays);
    if (!long) return { start, end };
    const answer = ask.answer(RANGE_QUESTION);
    if (!answer) return ask.ask(RANGE_QUESTION, rangeQuestion(city, long));
    return confirmedRange(long, answer);
  }

  /** The city the person picked for this call, if they were asked. */
  chosenCity(ask: ToolAsk | undefined): string | undefined {
    return chosenCity(ask?.answer(CITY_QUESTION));
  }

  /** Whether an unknown city may still be asked about in this call (only once). */
  mayAskCity(ask: ToolAsk | undefined): ask is ToolAsk {
    return ask !== undefined && ask.answer(CITY_QUESTION) === undefined;
  }

  /** Which city did they mean, offered from upstream's list with its display names. */
  async cityQuestion(typed: string): Promise<ElicitRequestFormParams> {
    const cities = (await this.aareguru.cities()).value;
    return cityQuestion(
      typed,
      cities.map((c) => ({ city: c.city, name: c.name ?? null })),
    );
  }
}
