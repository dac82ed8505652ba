import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  inputRequired,
  type InputRequiredResult,
  type McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { performance } from 'node:perf_hooks';
import type { Counter, Histogram } from 'prom-client';
import { InFlightService } from '../common/in-flight.service';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../common/package-info';
import { type CallOutcome, type CallRecord, callRecordOf } from '../common/call-record';
import { untilAborted } from '../common/until-aborted';
import { runAsCaller } from '../aareguru/upstream-caller';
import { UnknownCityError } from '../aareguru/aareguru.errors';
import type { CallObserver } from './call-observer';
import { CheckedMcpServer, type ReceivedMessageObserver } from './checked-mcp-server';
import { ConfirmationsService, type QuestionState } from './confirmations.service';
import { countingRefusals } from './counting-refusals';
import { describeFailure, failureKindOf, type FailureKind, outcomeOfFailure } from './mcp-errors';
import {
  type CallLabels,
  MCP_REQUESTS,
  PROMPT_GETS,
  RESOURCE_READS,
  TOOL_CALLS,
  TOOL_DURATION,
} from './mcp.metrics';
import { MCP_PROMPTS, MCP_RESOURCES, MCP_TOOLS, McpServerSource } from './mcp.tokens';
import type { AarePrompt } from './prompts/aare-prompt';
import type { AareResource } from './resources/aare-resource';
import type { AareTool, ToolResult } from './tools/aare-tool';
import { progressTokenOf, requestProgress, type RequestProgress } from './progress';
import { isModernRequest } from './request-era';
import {
  answersIn,
  CallAnswers,
  canShowForms,
  CITY_QUESTION,
  NotConfirmedError,
  QuestionAsked,
} from './questions';
import { keyLabelOf, rpcMethodLabel } from './rpc-method-label';
import { SERVER_INSTRUCTIONS } from './server-instructions';
import { SERVER_CACHE_HINTS } from './cache-hints';
import { SERVER_ICONS, toolIcons } from './icons';
import { shareJsonSchema } from './shared-json-schema';
import { registerAppTool } from '@modelcontextprotocol/ext-apps/server';
import { viewOfTool } from '../views/view-catalogue';
import { ViewDocuments } from '../views/view-documents';
import { registerSubscriptionHandlers } from '../subscriptions/subscription-handlers';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';

/**
 * Builds one McpServer per session (or per request for stateless traffic) from the tool,
 * resource and prompt providers. What does not change between servers — the providers, their
 * schemas and the JSON-schema validator — is created once and shared.
 */
@Injectable()
export class McpServerFactory implements McpServerSource, CallObserver {
  private readonly logger = new Logger(McpServerFactory.name);
  private readonly validator = new AjvJsonSchemaValidator();
  /** Each tool with its registration config, prepared once. */
  private readonly registrations: {
    tool: AareTool;
    config: AareTool['config'] & { _meta?: Record<string, unknown> };
  }[];

  constructor(
    private readonly inFlight: InFlightService,
    @Inject(MCP_TOOLS) tools: AareTool[],
    @Inject(MCP_RESOURCES) private readonly resources: AareResource[],
    @Inject(MCP_PROMPTS) private readonly prompts: AarePrompt[],
    @InjectMetric(TOOL_CALLS.name) private readonly toolCalls: Counter<CallLabels<'tool'>>,
    @InjectMetric(TOOL_DURATION.name) private readonly toolDuration: Histogram<'tool'>,
    @InjectMetric(RESOURCE_READS.name)
    private readonly resourceReads: Counter<CallLabels<'resource'>>,
    @InjectMetric(PROMPT_GETS.name) private readonly promptGets: Counter<CallLabels<'prompt'>>,
    @InjectMetric(MCP_REQUESTS.name) private readonly requests: Counter<'method' | 'key'>,
    private readonly subscriptions: SubscriptionsService,
    private readonly confirmations: ConfirmationsService,
    views: ViewDocuments,
  ) {
    this.registrations = tools.map((tool) => ({
      tool,
      config: {
        ...tool.config,
        // The SDK checks the arguments before the tool runs and answers a refusal itself.
        inputSchema: countingRefusals(shareJsonSchema(tool.config.inputSchema), () =>
          this.toolCalls.inc({
            tool: tool.name,
            outcome: outcomeOfFailure('invalid_input'),
            failure: 'invalid_input',
          }),
        ),
        outputSchema: shareJsonSchema(tool.config.outputSchema),
        annotations: { title: tool.config.title, ...tool.config.annotations },
        icons: toolIcons(tool.name),
        _meta: viewMetaOf(tool.name, views),
      },
    }));
  }

  /**
   * Counts every message a client sends, by method and key label: each server it builds counts
   * what reaches it; a transport that answers a message without a server (the SDK serves
   * 2026-07-28 listen streams itself) counts it here directly.
   */
  readonly countReceived: ReceivedMessageObserver = (method, extra) =>
    this.requests.inc({ method: rpcMethodLabel(method), key: keyLabelOf(extra) });

  readonly create = (): McpServer => {
    const server = new CheckedMcpServer(
      {
        name: PACKAGE_NAME,
        title: 'Aare river (aare.guru)',
        version: PACKAGE_VERSION,
        icons: SERVER_ICONS,
      },
      {
        capabilities: { logging: {} },
        instructions: SERVER_INSTRUCTIONS,
        cacheHints: SERVER_CACHE_HINTS,
        jsonSchemaValidator: this.validator,
        // 2025 sessions get a tool's questions as real elicitation/create requests; a person who
        // does not answer within QUESTION_TIMEOUT_MS ends the call, rather than holding it.
        inputRequired: { legacyShim: true, roundTimeoutMs: QUESTION_TIMEOUT_MS },
        requestState: { verify: (state, ctx) => this.confirmations.stateCodec.verify(state, ctx) },
      },
      this.countReceived,
    );
    for (const { tool, config } of this.registrations) {
      const handler = (args: unknown, ctx: ServerContext) =>
        // Upstream misses are charged to the key behind the call; stdio has a single caller.
        runAsCaller(ctx.http ? ctx.http.authInfo?.clientId || 'anonymous' : 'stdio', () =>
          this.callTool(
            tool,
            args,
            callRecordOf(ctx.http?.authInfo),
            ctx.mcpReq.signal,
            this.progressOf(ctx, tool),
            this.askingOf(ctx, server, tool.name, args),
          ),
        );
      // A tool with a view goes through the Apps helper, which also sets the older
      // `ui/resourceUri` key for hosts that read only that one.
      if (config._meta)
        registerAppTool(server as never, tool.name, config as never, handler as never);
      else server.registerTool(tool.name, config, handler);
    }
    for (const resource of this.resources) resource.register(server, this);
    for (const prompt of this.prompts) prompt.register(server, this);
    registerSubscriptionHandlers(server, this.subscriptions);
    return server;
  };

  /**
   * Tool failures become `isError` results with a plain message; nothing else leaves the tool.
   * How the call ended goes to the request's record when there is one (its access line carries
   * it), else to a line of its own. A call whose request is cancelled (`signal`) stops waiting at
   * once, so it no longer counts as in flight; its answer is never sent. Progress the tool
   * reports goes out before the answer, and stops with it. With `asking` (the client can show a
   * form) a question the tool asks, or an unknown city, pauses the call: the answer is then an
   * input-required result, counted when the call ends in a later round.
   */
  callTool(
    tool: AareTool,
    args: unknown,
    record?: CallRecord,
    signal?: AbortSignal,
    progress?: RequestProgress,
    asking?: CallAsking,
  ): Promise<ToolResult | InputRequiredResult> {
    return this.inFlight.track(async () => {
      const started = performance.now();
      let result: ToolResult;
      let outcome: CallOutcome;
      let kind: FailureKind | undefined;
      try {
        const report = await untilAborted(
          tool.run(this.withChosenCity(args, asking) as never, progress?.report, asking?.ask),
          signal,
        );
        result = {
          // The text block stays first and complete; links to the same data follow it.
          content: [
            { type: 'text', text: tool.summarise(report) },
            ...(tool.links?.(report) ?? []),
          ],
          structuredContent: report as Record<string, unknown>,
        };
        outcome = 'ok';
      } catch (error) {
        const question = signal?.aborted ? undefined : await this.questionFor(error, args, asking);
        if (question && asking) {
          await progress?.finish();
          return asking.pause(question);
        }
        if (signal?.aborted) {
          // Only for the books: the server drops the answer to a cancelled request.
          result = { isError: true, content: [{ type: 'text', text: 'The call was cancelled.' }] };
          outcome = 'cancelled';
        } else if (error instanceof NotConfirmedError) {
          // The person said no: the call was cancelled on their side, nothing failed.
          result = { isError: true, content: [{ type: 'text', text: error.message }] };
          outcome = 'cancelled';
        } else {
          const failure = describeFailure(error);
          kind = failure.kind;
          if (failure.kind === 'internal') {
            this.logger.error({ err: error, tool: tool.name }, 'tool failed unexpectedly');
          }
          result = { isError: true, content: [{ type: 'text', text: failure.message }] };
          outcome = 'error';
        }
      }
      await progress?.finish();
      const seconds = (performance.now() - started) / 1000;
      this.toolCalls.inc(
        kind
          ? { tool: tool.name, outcome: outcomeOfFailure(kind), failure: kind }
          : { tool: tool.name, outcome },
      );
      this.toolDuration.observe({ tool: tool.name }, seconds);
      const ending = { outcome, failure: kind, durationMs: Math.round(seconds * 1000) };
      if (record) Object.assign(record, ending);
      else this.logger.log({ tool: tool.name, ...ending }, 'tool call');
      return result;
    });
  }

  /** The arguments with the city the person picked in an earlier round, if they picked one. */
  private withChosenCity(args: unknown, asking: CallAsking | undefined): unknown {
    const city = this.confirmations.chosenCity(asking?.ask);
    return city !== undefined && hasCity(args) ? { ...args, city } : args;
  }

  /**
   * The question that pauses the call: the tool's own, or which city was meant when a city is
   * unknown (asked once per call; a refusal, or a second unknown city, fails as before).
   */
  private async questionFor(
    error: unknown,
    args: unknown,
    asking: CallAsking | undefined,
  ): Promise<QuestionAsked | undefined> {
    if (!asking) return undefined;
    if (error instanceof QuestionAsked) return error;
    if (
      !(error instanceof UnknownCityError) ||
      !hasCity(args) ||
      !this.confirmations.mayAskCity(asking.ask)
    ) {
      return undefined;
    }
    try {
      return new QuestionAsked(CITY_QUESTION, await this.confirmations.cityQuestion(error.city));
    } catch {
      // Without the city list there is nothing to offer: the unknown city fails as before.
      return undefined;
    }
  }

  /**
   * Questions for this call round, when the client can show a form: the answers of earlier
   * rounds come back in the signed request state (only for the same tool and arguments), this
   * round's in its input responses. Clients that cannot answer get no question at all.
   */
  private askingOf(
    ctx: ServerContext,
    server: McpServer,
    toolName: string,
    args: unknown,
  ): CallAsking | undefined {
    if (!canShowForms(clientCapabilitiesOf(ctx, server, this.confirmations.asksSessions)))
      return undefined;
    const call = JSON.stringify(args ?? {});
    const state = ctx.mcpReq.requestState<QuestionState>();
    const earlier =
      state !== undefined && state.tool === toolName && state.args === call ? state.answers : {};
    const ask = new CallAnswers({ ...earlier, ...answersIn(ctx.mcpReq.inputResponses) });
    return {
      ask,
      pause: async ({ key, question }) =>
        inputRequired({
          inputRequests: { [key]: inputRequired.elicit(question) },
          requestState: await this.confirmations.stateCodec.mint(
            { tool: toolName, args: call, answers: ask.answers },
            ctx,
          ),
        }),
    };
  }

  /** Progress notifications for a call that asked for them, on the call's own stream. */
  private progressOf(ctx: ServerContext, tool: AareTool): RequestProgress {
    return requestProgress({
      token: progressTokenOf(ctx.mcpReq._meta),
      notify: (notification) => ctx.mcpReq.notify(notification),
      onFailure: (error) =>
        this.logger.warn({ err: error, tool: tool.name }, 'progress notification not sent'),
    });
  }

  observe<T>(kind: 'resource' | 'prompt', name: string, work: () => Promise<T>): Promise<T> {
    const count = (labels: { outcome: string; failure?: FailureKind }) =>
      kind === 'resource'
        ? this.resourceReads.inc({ resource: name, ...labels })
        : this.promptGets.inc({ prompt: name, ...labels });
    return this.inFlight.track(async () => {
      try {
        const result = await work();
        count({ outcome: 'ok' });
        return result;
      } catch (error) {
        const failure = failureKindOf(error);
        count({ outcome: outcomeOfFailure(failure), failure });
        throw error;
      }
    });
  }
}

/** What a call may ask, and how a question pauses it. */
interface CallAsking {
  ask: CallAnswers;
  pause(question: QuestionAsked): Promise<InputRequiredResult>;
}

function hasCity(args: unknown): args is { city: string } {
  return (
    typeof args === 'object' &&
    args !== null &&
    typeof (args as { city?: unknown }).city === 'string'
  );
}

/**
 * What the client can do, by the request's era: a 2026-07-28 request says so in its own envelope;
 * a 2025 session declared it at initialize (and is asked only where `asksSessions`).
 */
function clientCapabilitiesOf(
  ctx: ServerContext,
  server: McpServer,
  asksSessions: boolean,
): ClientCapabilities | undefined {
  if (isModernRequest(ctx))
    return (ctx.mcpReq.envelope as Record<string, unknown>)[CLIENT_CAPABILITIES_META_KEY] as
      ClientCapabilities | undefined;
  return asksSessions ? server.server.getClientCapabilities() : undefined;
}

/** How long a 2025 session's person has to answer one question. */
const QUESTION_TIMEOUT_MS = 300_000;

/**
 * A tool's view (MCP Apps): declared on every connection, whatever the client, since 2026-07-28
 * tool lists do not vary per connection; a client without Apps ignores it and reads the text. A
 * view that was not built is not pointed at.
 */
export function viewMetaOf(
  toolName: string,
  views: ViewDocuments,
): { ui: { resourceUri: string } } | undefined {
  const view = viewOfTool(toolName);
  return view && views.html(view.name) !== undefined
    ? { ui: { resourceUri: view.uri } }
    : undefined;
}
