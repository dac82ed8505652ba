import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  IPolicy,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
} from 'cockatiel';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import https from 'node:https';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { z } from 'zod';
import { CLOCK, Clock } from '../common/clock';
import { AAREGURU_CONFIG } from '../config/app-config.module';
import type { AareguruConfig } from '../config/configuration.types';
import { UpstreamError } from './aareguru.errors';
import {
  CIRCUIT_STATE,
  UPSTREAM_DURATION,
  UPSTREAM_QUEUE_WAITING,
  UPSTREAM_REFUSED,
  UPSTREAM_REQUESTS,
} from './aareguru.metrics';
import {
  City,
  Current,
  Today,
  Widget,
  citiesSchema,
  currentSchema,
  todaySchema,
  widgetSchema,
} from './aareguru.schemas';
import type { ProbedCircuit } from './circuit-probe';
import { HistorySeries, parseHistorySeries } from './history.parser';
import { httpGetJson } from './http-get-json';
import { NoSlotError, UpstreamSlots } from './upstream-slots';

export type AareguruEndpoint = 'cities' | 'today' | 'current' | 'widget' | 'history';

export type CircuitStateName = 'closed' | 'open' | 'half-open' | 'isolated';

export interface UpstreamStatus {
  circuit: CircuitStateName;
  /** Epoch ms of the last successful response, null before the first. */
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  lastFailure: string | null;
  requests: number;
  failures: number;
  /** The latest failures, newest first (at most 20). */
  recentFailures: { at: number; endpoint: string; kind: string; message: string }[];
}

const CIRCUIT_GAUGE: Record<CircuitState, number> = {
  [CircuitState.Closed]: 0,
  [CircuitState.HalfOpen]: 1,
  [CircuitState.Open]: 2,
  [CircuitState.Isolated]: 3,
};

const CIRCUIT_NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/** A year of 10-minute history is ~2 MB; anything far beyond that is not a real answer. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

function isTransient(error: unknown): boolean {
  return error instanceof TaskCancelledError || (error instanceof UpstreamError && error.retryable);
}

/**
 * The only code that talks to the Aareguru API. Every call runs inside, from the outside in: an
 * overall deadline, retries with exponential backoff and jitter, a slot (one of
 * AAREGURU_MAX_SOCKETS connections, waited for in a bounded queue), a shared circuit breaker and
 * a per-attempt timeout. The breaker and the timeout see only attempts that hold a slot, so a slow
 * but healthy upstream under a burst makes callers wait or be refused as busy instead of timing
 * out queued attempts and opening the circuit for everyone. Responses are parsed into typed
 * values; nothing here caches.
 */
@Injectable()
export class AareguruClient implements OnModuleDestroy {
  private readonly logger = new Logger(AareguruClient.name);
  private readonly agent: http.Agent;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly policy: IPolicy;
  /** The deadline without retries: what the circuit's trial runs in. */
  private readonly once: IPolicy;
  /** The breaker and the per-attempt timeout: what an attempt holding a slot runs in. */
  private readonly onTheWire: IPolicy;
  private readonly slots: UpstreamSlots;
  private readonly state: Omit<UpstreamStatus, 'circuit'> = {
    lastSuccessAt: null,
    lastFailureAt: null,
    lastFailure: null,
    requests: 0,
    failures: 0,
    recentFailures: [],
  };

  constructor(
    @Inject(AAREGURU_CONFIG) private readonly config: AareguruConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @InjectMetric(UPSTREAM_REQUESTS.name)
    private readonly upstreamRequests: Counter<'endpoint' | 'status'>,
    @InjectMetric(UPSTREAM_DURATION.name)
    private readonly upstreamDuration: Histogram<'endpoint'>,
    @InjectMetric(CIRCUIT_STATE.name) circuitState: Gauge,
    @InjectMetric(UPSTREAM_QUEUE_WAITING.name) queueWaiting: Gauge,
    @InjectMetric(UPSTREAM_REFUSED.name) private readonly refused: Counter<'reason'>,
  ) {
    // As many sockets as slots: a request holding a slot never waits for a connection.
    const agentOptions = {
      keepAlive: true,
      maxSockets: config.maxSockets,
      maxFreeSockets: config.maxSockets,
    };
    this.agent = config.baseUrl.startsWith('https:')
      ? new https.Agent(agentOptions)
      : new http.Agent(agentOptions);

    this.breaker = circuitBreaker(handleWhen(isTransient), {
      halfOpenAfter: config.breakerHalfOpenMs,
      breaker: new ConsecutiveBreaker(config.breakerFailures),
    });
    // The gauge is shared by every client in the process: start it from this breaker's state.
    circuitState.set(CIRCUIT_GAUGE[this.breaker.state]);
    let previous = this.breaker.state;
    this.breaker.onStateChange((state) => {
      circuitState.set(CIRCUIT_GAUGE[state]);
      // One warning per outage: a failed trial re-opens it quietly (the upstream status keeps
      // the trial's cause, and a client call that was the trial logs its own failure).
      if (state === CircuitState.Open && previous === CircuitState.Closed) {
        this.logger.warn('Aareguru circuit opened');
      } else if (state === CircuitState.Open) {
        this.logger.debug('Aareguru circuit trial failed, open again');
      }
      previous = state;
    });
    this.breaker.onReset(() => this.logger.log('Aareguru circuit closed'));

    this.slots = new UpstreamSlots(
      {
        maxActive: config.maxSockets,
        maxQueued: config.maxQueued,
        maxWaitMs: config.queueWaitMs,
      },
      (waiting) => queueWaiting.set(waiting),
    );
    queueWaiting.set(0);

    this.policy = wrap(
      timeout(config.deadlineMs, TimeoutStrategy.Aggressive),
      retry(handleWhen(isTransient), {
        maxAttempts: config.retries,
        backoff: new ExponentialBackoff({
          initialDelay: config.retryBaseDelayMs,
          maxDelay: config.retryMaxDelayMs,
        }),
      }),
    );
    this.once = timeout(config.deadlineMs, TimeoutStrategy.Aggressive);
    // Entered once the attempt holds a slot (see attempt()): waiting is not the attempt.
    this.onTheWire = wrap(this.breaker, timeout(config.timeoutMs, TimeoutStrategy.Aggressive));
  }

  async cities(): Promise<City[]> {
    return this.parseCities(await this.getJson('cities', {}));
  }

  /**
   * The circuit's half-open trial: the city list, sent once through the breaker, never retried
   * (a retry after the trial failed would only meet the re-opened circuit). Its failure is
   * recorded with its real cause but logged at debug: the circuit opening said so already. A
   * breaker that does not admit it yet (the trial came a moment early) is no upstream failure:
   * it rejects with `circuit_open` and records nothing.
   */
  async trial(): Promise<City[]> {
    return this.parseCities(await this.getJson('cities', {}, 'trial'));
  }

  async today(city: string): Promise<Today> {
    return this.parse('today', todaySchema, await this.getJson('today', { city }));
  }

  async current(city: string): Promise<Current> {
    return this.parse('current', currentSchema, await this.getJson('current', { city }));
  }

  async widget(): Promise<Widget> {
    return this.parse('widget', widgetSchema, await this.getJson('widget', {}));
  }

  /** `start` and `end` in Unix seconds: the only form upstream reliably accepts. */
  async history(city: string, start: number, end: number): Promise<HistorySeries> {
    const body = await this.getJson('history', { city, start: String(start), end: String(end) });
    const series = parseHistorySeries(body);
    if (!series) throw new UpstreamError('shape', 'history', 'unrecognised history response');
    return series;
  }

  /** The breaker's state and its openings, for the probe that runs its half-open trial. */
  readonly circuit: ProbedCircuit = {
    state: () => CIRCUIT_NAMES[this.breaker.state],
    onOpen: (listener) => {
      const subscription = this.breaker.onBreak(() => listener());
      return () => subscription.dispose();
    },
  };

  status(): UpstreamStatus {
    return {
      circuit: CIRCUIT_NAMES[this.breaker.state],
      ...this.state,
      recentFailures: [...this.state.recentFailures],
    };
  }

  onModuleDestroy(): void {
    this.agent.destroy();
  }

  private parseCities(body: unknown): City[] {
    const cities = this.parse('cities', citiesSchema, body);
    if (cities.length === 0) throw new UpstreamError('shape', 'cities', 'the city list is empty');
    return cities;
  }

  private parse<T extends z.ZodType>(endpoint: AareguruEndpoint, schema: T, body: unknown) {
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new UpstreamError('shape', endpoint, `unexpected /${endpoint} response shape`);
    }
    return parsed.data as z.output<T>;
  }

  private url(endpoint: AareguruEndpoint, params: Record<string, string>): URL {
    const url = new URL(`${this.config.baseUrl}/v2018/${endpoint}`);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    url.searchParams.set('app', this.config.appName);
    url.searchParams.set('version', this.config.appVersion);
    return url;
  }

  private async getJson(
    endpoint: AareguruEndpoint,
    params: Record<string, string>,
    purpose: 'call' | 'trial' = 'call',
  ) {
    const url = this.url(endpoint, params);
    const policy = purpose === 'trial' ? this.once : this.policy;
    // A failed trial is expected during an outage, which the circuit opening announced.
    const logFailure = (fields: object, message: string) =>
      purpose === 'trial'
        ? this.logger.debug({ ...fields, trial: true }, message)
        : this.logger.warn(fields, message);
    const started = performance.now(); // durations need real time, not the injectable clock
    try {
      const body = await policy.execute(({ signal }) => this.attempt(url, endpoint, signal));
      this.upstreamDuration.observe({ endpoint }, (performance.now() - started) / 1000);
      this.state.lastSuccessAt = this.clock.now();
      this.logger.debug(
        { endpoint, params, ms: Math.round(performance.now() - started) },
        'upstream ok',
      );
      return body;
    } catch (error) {
      const elapsedMs = performance.now() - started;
      const failure = this.describe(endpoint, error, elapsedMs);
      if (failure.kind === 'busy') {
        // Nothing was sent: not an upstream failure, so not in the upstream status either.
        this.refused.inc({ reason: 'busy' });
        logFailure({ endpoint, params, ms: Math.round(elapsedMs) }, failure.message);
        throw failure;
      }
      if (failure.kind === 'circuit_open') {
        // Refused by the open circuit: nothing was sent, so the upstream status keeps the failure
        // that opened it (or the last trial's), and the outage was announced when it opened.
        if (purpose === 'call') this.refused.inc({ reason: 'circuit_open' });
        this.logger.debug({ endpoint, trial: purpose === 'trial' }, 'refused by the open circuit');
        throw failure;
      }
      this.upstreamDuration.observe({ endpoint }, elapsedMs / 1000);
      this.state.failures += 1;
      this.state.lastFailureAt = this.clock.now();
      this.state.lastFailure = `${endpoint}: ${failure.message}`;
      this.state.recentFailures.unshift({
        at: this.state.lastFailureAt,
        endpoint,
        kind: failure.kind,
        message: failure.message,
      });
      this.state.recentFailures.length = Math.min(this.state.recentFailures.length, 20);
      logFailure(
        {
          endpoint,
          params,
          kind: failure.kind,
          status: failure.status,
          ms: Math.round(elapsedMs),
        },
        `upstream failed: ${failure.message}`,
      );
      throw failure;
    }
  }

  /**
   * One attempt: wait for a slot (bounded), then the request through the breaker and under the
   * per-attempt timeout. A refusal to wait is a 'busy' error that never reaches the breaker (which
   * would close a half-open circuit on it) and that retry does not repeat.
   */
  private async attempt(url: URL, endpoint: AareguruEndpoint, signal: AbortSignal) {
    let release: () => void;
    try {
      release = await this.slots.acquire(signal);
    } catch (error) {
      if (!(error instanceof NoSlotError)) throw error;
      throw new UpstreamError('busy', endpoint, `upstream busy: ${error.message}`, undefined, {
        cause: error,
      });
    }
    try {
      return await this.onTheWire.execute(async ({ signal: attemptSignal }) => {
        this.state.requests += 1;
        try {
          const answer = await httpGetJson(url, endpoint, {
            agent: this.agent,
            signal: attemptSignal,
            maxBytes: MAX_BODY_BYTES,
          });
          this.upstreamRequests.inc({ endpoint, status: String(answer.status) });
          return answer.body;
        } catch (error) {
          const status = error instanceof UpstreamError ? (error.status ?? error.kind) : 'network';
          this.upstreamRequests.inc({ endpoint, status: String(status) });
          throw error;
        }
      }, signal);
    } finally {
      release();
    }
  }

  private describe(endpoint: AareguruEndpoint, error: unknown, elapsedMs: number): UpstreamError {
    // An aborted attempt and a cancelled operation both mean "no answer in time".
    if (
      error instanceof TaskCancelledError ||
      (error instanceof UpstreamError && error.kind === 'timeout')
    ) {
      const limit =
        elapsedMs >= this.config.deadlineMs ? this.config.deadlineMs : this.config.timeoutMs;
      return new UpstreamError('timeout', endpoint, `no answer within ${limit} ms`, undefined, {
        cause: error,
      });
    }
    if (error instanceof UpstreamError) return error;
    if (error instanceof BrokenCircuitError) {
      return new UpstreamError(
        'circuit_open',
        endpoint,
        'the Aareguru API failed repeatedly; calls are paused for a moment',
        undefined,
        { cause: error },
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    return new UpstreamError('network', endpoint, message, undefined, { cause: error });
  }
}
