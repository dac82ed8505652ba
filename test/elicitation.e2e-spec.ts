import {
  type CallToolResult,
  Client,
  type ElicitRequestFormParams,
  type ElicitResult,
  SSEClientTransport,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  PROTOCOL_VERSION_META_KEY,
} from '@modelcontextprotocol/server';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { loadConfiguration } from '../src/config/configuration';
import { MAIN_JS } from './support/spawn-server';
import { RunningApp, startApp } from './support/http-app';
import { deletePrefix, REDIS_URL, requireRedis, uniquePrefix } from './support/redis';

type Kind = 'streamable-2025' | 'streamable-2026' | 'sse' | 'stdio';

const CLIENT_INFO = { name: 'aareguru-e2e-elicitation', version: '1.0.0' };
const HISTORY = '/v2018/history';
const DAY_MS = 86_400_000;
const VALID_IDS = 'brienz, interlaken, thun, bern, hagneck, biel, olten, brugg';

/** How the person answers a form; `null`: a client that cannot show forms at all. */
type Person = ((question: ElicitRequestFormParams) => ElicitResult) | null;

interface Connected {
  client: Client;
  /** Every question the person was shown, in order. */
  asked: ElicitRequestFormParams[];
  close(): Promise<void>;
}

/** The official client over one transport and era, with or without the elicitation capability. */
async function connect(running: RunningApp, kind: Kind, person: Person): Promise<Connected> {
  const url = running.url;
  const asked: ElicitRequestFormParams[] = [];
  const client = new Client(CLIENT_INFO, {
    ...(person && { capabilities: { elicitation: { form: {} } } }),
    ...(kind === 'streamable-2026' && { versionNegotiation: { mode: { pin: '2026-07-28' } } }),
  });
  if (person) {
    client.setRequestHandler('elicitation/create', (request) => {
      const params = request.params as ElicitRequestFormParams;
      asked.push(params);
      return Promise.resolve(person(params));
    });
  }
  await client.connect(
    kind === 'sse'
      ? new SSEClientTransport(new URL(`${url}/sse`))
      : kind === 'stdio'
        ? new StdioClientTransport({
            command: process.execPath,
            args: [MAIN_JS, '--transport', 'stdio'],
            env: {
              PATH: process.env.PATH ?? '',
              LOG_LEVEL: 'warn',
              AAREGURU_BASE_URL: running.fake.baseUrl,
              AAREGURU_RETRIES: '0',
            },
            stderr: 'pipe',
          })
        : new StreamableHTTPClientTransport(new URL(`${url}/mcp`)),
  );
  return { client, asked, close: () => client.close() };
}

const accept = (content: Record<string, string>) => (): ElicitResult => ({
  action: 'accept',
  content,
});
const decline = (): ElicitResult => ({ action: 'decline' });
const cancel = (): ElicitResult => ({ action: 'cancel' });

const textOf = (result: CallToolResult) =>
  result.content.map((block) => (block.type === 'text' ? block.text : '')).join('\n');

/** Days the answered range covers. */
function daysOf(result: CallToolResult): number {
  const report = result.structuredContent as { start: string; end: string };
  return Math.round((Date.parse(report.end) - Date.parse(report.start)) / DAY_MS);
}

const call = async (connected: Connected, name: string, args: Record<string, unknown>) =>
  (await connected.client.callTool({ name, arguments: args })) as CallToolResult;

const LONG = { city: 'bern', start: '-90 days', end: 'now' };

describe.each<Kind>(['streamable-2025', 'streamable-2026', 'sse', 'stdio'])(
  'Confirmations over %s',
  (kind) => {
    let running: RunningApp;
    let connected: Connected | undefined;

    beforeAll(async () => {
      running = await startApp({ AAREGURU_RETRIES: '0', HISTORY_CONFIRM_DAYS: '31' });
    });
    afterAll(async () => {
      await running.close();
    });
    beforeEach(() => running.fake.reset());
    afterEach(async () => {
      await connected?.close();
      connected = undefined;
    });

    const open = async (person: Person) => (connected = await connect(running, kind, person));

    describe('a long history range', () => {
      it('is fetched whole once the person accepts it', async () => {
        const c = await open(accept({ range: 'whole' }));
        const result = await call(c, 'get_historical_data', LONG);
        expect(result.isError).toBeFalsy();
        expect(daysOf(result)).toBe(90);
        expect(c.asked).toHaveLength(1);
        expect(c.asked[0].message).toMatch(
          /^90 days of history for bern \(\d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}\) is a large request\. Fetch all of it, or only the last 31 days\?$/,
        );
        expect(c.asked[0].requestedSchema.required).toEqual(['range']);
        expect(running.fake.count(HISTORY)).toBe(1);
      });

      it('is narrowed to the last 31 days when the person says so', async () => {
        const c = await open(accept({ range: 'shorter' }));
        const result = await call(c, 'get_historical_data', LONG);
        expect(result.isError).toBeFalsy();
        expect(daysOf(result)).toBe(31);
      });

      it.each([
        ['declines', decline],
        ['cancels', cancel],
      ])('is not fetched when the person %s', async (_, person) => {
        const c = await open(person);
        const result = await call(c, 'get_historical_data', LONG);
        expect(result.isError).toBe(true);
        expect(textOf(result)).toBe(
          'Nothing was fetched: the 90-day range was not confirmed. Ask again for at most 31 days, ' +
            'or confirm the longer range.',
        );
        expect(c.asked).toHaveLength(1);
        expect(running.fake.count(HISTORY)).toBe(0);
      });

      it('is served without a question to a client that cannot ask, as before', async () => {
        const c = await open(null);
        const result = await call(c, 'get_historical_data', LONG);
        expect(result.isError).toBeFalsy();
        expect(daysOf(result)).toBe(90);
      });

      it('of 31 days or less asks nothing', async () => {
        const c = await open(accept({ range: 'shorter' }));
        const result = await call(c, 'get_historical_data', { ...LONG, start: '-31 days' });
        expect(result.isError).toBeFalsy();
        expect(daysOf(result)).toBe(31);
        expect(c.asked).toEqual([]);
      });
    });

    describe('an unknown city', () => {
      it('asks which city was meant, listing the real ones, and answers for the pick', async () => {
        const c = await open(accept({ city: 'thun' }));
        const result = await call(c, 'get_current_temperature', { city: 'thunn' });
        expect(result.isError).toBeFalsy();
        expect((result.structuredContent as { city: string }).city).toBe('thun');
        expect(c.asked).toHaveLength(1);
        expect(c.asked[0].message).toBe(
          'aare.guru has no city "thunn". Which place on the Aare do you mean?',
        );
        const field = c.asked[0].requestedSchema.properties.city as {
          oneOf: { const: string; title: string }[];
          default?: string;
        };
        expect(field.oneOf.map((o) => o.const).join(', ')).toBe(VALID_IDS);
        expect(field.oneOf).toContainEqual({ const: 'bern', title: 'Bärn' });
        expect(field.default).toBe('thun');
      });

      it('offers only the matching cities when the name fits several', async () => {
        const c = await open(accept({ city: 'brugg' }));
        const result = await call(c, 'get_flow_danger_level', { city: 'br' });
        expect(result.isError).toBeFalsy();
        expect(c.asked[0].message).toBe(
          '"br" matches several places on the Aare. Which one do you mean?',
        );
        const field = c.asked[0].requestedSchema.properties.city as { oneOf: { const: string }[] };
        expect(field.oneOf.map((o) => o.const)).toEqual(['brienz', 'brugg']);
      });

      it.each([
        ['declines', decline],
        ['cancels', cancel],
        ['cannot be asked', null],
      ])('fails naming the valid ids when the person %s', async (_, person) => {
        const c = await open(person);
        const result = await call(c, 'get_current_temperature', { city: 'atlantis' });
        expect(result.isError).toBe(true);
        expect(textOf(result)).toBe(
          `Unknown city "atlantis". Valid city ids: ${VALID_IDS}. Use list_cities to see every city.`,
        );
        expect(c.asked).toHaveLength(person ? 1 : 0);
      });

      it('and a long range are both asked about in one call', async () => {
        const c = await open((question) =>
          'city' in question.requestedSchema.properties
            ? accept({ city: 'bern' })()
            : accept({ range: 'whole' })(),
        );
        const result = await call(c, 'get_historical_data', { ...LONG, city: 'berne' });
        expect(result.isError).toBeFalsy();
        expect((result.structuredContent as { city: string }).city).toBe('bern');
        expect(daysOf(result)).toBe(90);
        expect(c.asked.map((q) => Object.keys(q.requestedSchema.properties))).toEqual([
          ['range'],
          ['city'],
        ]);
      });
    });
  },
);

const MODERN = '2026-07-28';
const KEY = 'k'.repeat(32) + '-shared-by-every-replica';

/** A raw 2026-07-28 tools/call from a client that can show forms, optionally a retry. */
async function modernCall(url: string, args: Record<string, unknown>, retry?: object) {
  const body = {
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: {
      name: 'get_historical_data',
      arguments: args,
      ...retry,
      _meta: {
        [PROTOCOL_VERSION_META_KEY]: MODERN,
        [CLIENT_INFO_META_KEY]: { name: 'raw-2026', version: '1.0.0' },
        [CLIENT_CAPABILITIES_META_KEY]: { elicitation: { form: {} } },
      },
    },
  };
  const response = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': 'tools/call',
      'mcp-name': 'get_historical_data',
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const data = [...text.matchAll(/^data: (.*)$/gm)].pop();
  return JSON.parse(data ? data[1] : text) as {
    result?: { resultType?: string; requestState?: string; isError?: boolean } & CallToolResult;
    error?: { code: number; message: string };
  };
}

describe('The signed request state of a question (2026-07-28)', () => {
  let a: RunningApp;
  let b: RunningApp;
  let other: RunningApp;

  beforeAll(async () => {
    a = await startApp({ AAREGURU_RETRIES: '0', REQUEST_STATE_KEY: KEY });
    b = await startApp({ AAREGURU_RETRIES: '0', REQUEST_STATE_KEY: KEY }, a.fake);
    other = await startApp({ AAREGURU_RETRIES: '0', REQUEST_STATE_KEY: 'o'.repeat(40) }, a.fake);
  });
  afterAll(async () => {
    await Promise.all([b.close(), other.close()]);
    await a.close();
  });

  /** The city question of a first round on replica a, and the retry that answers it. */
  async function firstRound() {
    const args = { city: 'thunn', start: '-7 days', end: 'now' };
    const asked = await modernCall(a.url, args);
    expect(asked.result?.resultType).toBe('input_required');
    expect(asked.result?.requestState).toMatch(/^v1\./);
    const answer = { city: { action: 'accept', content: { city: 'thun' } } };
    return { args, state: asked.result!.requestState!, answer };
  }

  it('is honoured by another replica with the same REQUEST_STATE_KEY', async () => {
    const { args, state, answer } = await firstRound();
    const retried = await modernCall(b.url, args, { inputResponses: answer, requestState: state });
    expect(retried.error).toBeUndefined();
    expect(retried.result?.isError).toBeFalsy();
    expect((retried.result?.structuredContent as { city: string }).city).toBe('thun');
  });

  it('is refused by a replica with another key, and when altered', async () => {
    const { args, state, answer } = await firstRound();
    const elsewhere = await modernCall(other.url, args, {
      inputResponses: answer,
      requestState: state,
    });
    expect(elsewhere.error).toMatchObject({ code: -32602 });

    const [version, body, mac] = state.split('.');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    payload.exp = Number(payload.exp) + 3600;
    const altered = `${version}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`;
    const tampered = await modernCall(a.url, args, {
      inputResponses: answer,
      requestState: altered,
    });
    expect(tampered.error).toMatchObject({ code: -32602 });
  });
});

describe('Confirmations with replicas (REDIS_URL)', () => {
  let running: RunningApp;
  let connected: Connected | undefined;
  const prefix = uniquePrefix('elicit');

  beforeAll(async () => {
    await requireRedis();
    running = await startApp({
      AAREGURU_RETRIES: '0',
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      REQUEST_STATE_KEY: KEY,
    });
  });
  afterAll(async () => {
    await running.close();
    await deletePrefix(prefix);
  });
  afterEach(async () => {
    await connected?.close();
    connected = undefined;
  });

  it('asks no 2025 session, whose answer could reach another replica: the call fails as before', async () => {
    connected = await connect(running, 'streamable-2025', accept({ city: 'thun' }));
    const result = await call(connected, 'get_current_temperature', { city: 'thunn' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(VALID_IDS);
    expect(connected.asked).toEqual([]);
  });

  it('still asks a 2026-07-28 client, whose answer carries its own state', async () => {
    connected = await connect(running, 'streamable-2026', accept({ city: 'thun' }));
    const result = await call(connected, 'get_current_temperature', { city: 'thunn' });
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent as { city: string }).city).toBe('thun');
    expect(connected.asked).toHaveLength(1);
  });
});

describe('REQUEST_STATE_KEY', () => {
  it('is required with REDIS_URL and at least 32 characters', () => {
    expect(() => loadConfiguration({ REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(
      /REQUEST_STATE_KEY: required when REDIS_URL is set/,
    );
    expect(() => loadConfiguration({ REQUEST_STATE_KEY: 'short' })).toThrow(
      /REQUEST_STATE_KEY: must be empty or 32 to 512 characters without spaces/,
    );
    const config = loadConfiguration({
      REDIS_URL: 'redis://127.0.0.1:6379',
      REQUEST_STATE_KEY: KEY,
    });
    expect(config.auth.requestStateKey).toBe(KEY);
    expect(loadConfiguration({}).auth.requestStateKey).toBeUndefined();
    expect(loadConfiguration({}).aareguru.historyConfirmDays).toBe(31);
  });

  it('is never shown by /admin/config', async () => {
    const admin = 'admin-key-0123456789ab';
    const running = await startApp({ ADMIN_API_KEYS: `ops:${admin}`, REQUEST_STATE_KEY: KEY });
    try {
      const response = await fetch(`${running.url}/admin/config`, {
        headers: { 'X-API-Key': admin },
      });
      const text = await response.text();
      expect(response.status).toBe(200);
      expect(text).not.toContain(KEY);
      expect(text).not.toContain('requestStateKey');
      const config = JSON.parse(text) as { aareguru: { historyConfirmDays: number } };
      expect(config.aareguru.historyConfirmDays).toBe(31);
    } finally {
      await running.close();
    }
  });
});
