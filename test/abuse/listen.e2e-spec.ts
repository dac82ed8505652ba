import request from 'supertest';
import { SessionLifecycleService } from '../../src/sessions/session-lifecycle.service';
import { SESSION_REGISTRY, SessionRegistry } from '../../src/sessions/session-registry.interface';
import { RunningApp, startApp } from '../support/http-app';
import { ManualClock } from '../support/manual-clock';
import { eventually } from '../support/mcp-clients';
import { type Listening, openListenStream } from '../support/listen-stream';
import { ACCEPT_BOTH } from '../support/mcp-messages';
import { scrapeMetrics } from '../support/metrics';

const TEAM_A = 'team-a-key-0123456789';
const TEAM_B = 'team-b-key-0123456789';
const ADMIN = 'admin-key-0123456789ab';
const LIMITS = {
  API_KEYS: `team-a:${TEAM_A},team-b:${TEAM_B}`,
  ADMIN_API_KEYS: `ops:${ADMIN}`,
  MAX_LISTEN_STREAMS: '5',
  MAX_LISTEN_STREAMS_PER_KEY: '3',
  LISTEN_STREAM_MAX_SECONDS: '600',
};

const MODERN = '2026-07-28';
describe('subscriptions/listen streams (issue 11)', () => {
  let running: RunningApp | undefined;
  const streams: Listening[] = [];

  async function open(apiKey: string): Promise<Listening> {
    const stream = await openListenStream(running!.url, apiKey);
    streams.push(stream);
    return stream;
  }

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.disconnect();
    await running?.close();
    running = undefined;
  });

  it('gives each key and the server a budget of open streams, refused with 503 past it', async () => {
    running = await startApp(LIMITS);
    const registry = running.app.get<SessionRegistry>(SESSION_REGISTRY);
    const before = await scrapeMetrics(running.url);

    const ofA = [await open(TEAM_A), await open(TEAM_A), await open(TEAM_A)];
    for (const stream of ofA) {
      expect(stream.status).toBe(200);
      expect(stream.received()).toContain('notifications/subscriptions/acknowledged');
    }
    const overKey = await open(TEAM_A);
    expect(overKey.status).toBe(503);
    expect(overKey.headers['retry-after']).toBe('30');
    expect(JSON.parse(overKey.received())).toMatchObject({
      jsonrpc: '2.0',
      error: { message: 'Service Unavailable: this API key has too many open listen streams' },
    });

    expect((await open(TEAM_B)).status).toBe(200);
    expect((await open(TEAM_B)).status).toBe(200);
    const overAll = await open(TEAM_B);
    expect(overAll.status).toBe(503);
    expect(JSON.parse(overAll.received()).error.message).toMatch(/too many open listen streams/);

    const after = await scrapeMetrics(running.url);
    expect(after.since(before, 'http_rejected_requests_total', { reason: 'capacity' })).toBe(2);
    expect(after.value('mcp_sessions_open', { transport: 'listen' })).toBe(5);
    expect(after.since(before, 'mcp_sessions_opened_total', { transport: 'listen' })).toBe(5);

    // The client going away frees its slot.
    ofA[0].disconnect();
    await eventually(() => registry.sizeOfKey('team-a', 'listen') === 2);
    expect((await open(TEAM_A)).status).toBe(200);
  });

  it('does not take room from sessions, nor sessions from streams', async () => {
    running = await startApp({ ...LIMITS, MAX_SESSIONS: '1', MAX_SESSIONS_PER_KEY: '1' });
    expect((await open(TEAM_A)).status).toBe(200);
    const initialize = await request(running.url)
      .post('/mcp')
      .set('Accept', ACCEPT_BOTH)
      .set('X-API-Key', TEAM_A)
      .send({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'session', version: '1.0.0' },
        },
      });
    expect(initialize.status).toBe(200);
    expect((await open(TEAM_A)).status).toBe(200);
  });

  it('shows open streams in /admin/sessions and /health, and admin DELETE ends one', async () => {
    running = await startApp(LIMITS);
    const stream = await open(TEAM_A);
    await open(TEAM_B);

    const health = await request(running.url).get('/health').expect(200);
    expect(health.body.details.sessions).toMatchObject({ open: 2, listen: 2 });

    const listed = await request(running.url)
      .get('/admin/sessions?transport=listen&keyLabel=team-a')
      .set('X-API-Key', ADMIN)
      .expect(200);
    expect(listed.body.total).toBe(1);
    const [session] = listed.body.sessions;
    expect(session).toMatchObject({
      transport: 'listen',
      era: '2026',
      protocolVersion: MODERN,
      keyLabel: 'team-a',
      clientName: 'listener',
      hibernating: false,
    });
    expect(Date.parse(session.openedAt)).not.toBeNaN();
    expect(Date.parse(session.lastActiveAt)).not.toBeNaN();

    await request(running.url)
      .delete(`/admin/sessions/${session.id}`)
      .set('X-API-Key', ADMIN)
      .expect(204);
    await stream.ended; // the server ends the response; the client may listen again
    const registry = running.app.get<SessionRegistry>(SESSION_REGISTRY);
    expect(registry.sizeOfKey('team-a', 'listen')).toBe(0);
    expect(registry.size('listen')).toBe(1);
  });

  it('ends a stream open for LISTEN_STREAM_MAX_SECONDS', async () => {
    const clock = new ManualClock(Date.now());
    running = await startApp(
      { ...LIMITS, LISTEN_STREAM_MAX_SECONDS: '60', SESSION_IDLE_TIMEOUT_SECONDS: '3600' },
      undefined,
      clock,
    );
    const lifecycle = running.app.get(SessionLifecycleService);
    const stream = await open(TEAM_A);

    clock.advance(59_000);
    expect(await lifecycle.sweep()).toBe(0);
    clock.advance(1_000);
    expect(await lifecycle.sweep()).toBe(1);
    await stream.ended;
    expect(lifecycle.closedCounts()).toEqual({ expired: 1 });
    expect((await open(TEAM_A)).status).toBe(200);
  });

  it('ends open streams on shutdown', async () => {
    running = await startApp(LIMITS);
    const lifecycle = running.app.get(SessionLifecycleService);
    const stream = await open(TEAM_A);
    await running.close();
    await stream.ended;
    const closed = Object.values(lifecycle.closedCounts()).reduce((sum, n) => sum + n, 0);
    expect(closed).toBe(1);
  });
});
