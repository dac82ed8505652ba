import type { CallToolResult } from '@modelcontextprotocol/client';
import { SESSION_REGISTRY, SessionRegistry } from '../src/sessions/session-registry.interface';
import { connectRouted2025, Route, startReplicas } from './support/fleet';
import { deletePrefix, redisClient, requireRedis, uniquePrefix } from './support/redis';
import type Redis from 'ioredis';

type Replicas = Awaited<ReturnType<typeof startReplicas>>;

const temperature = { name: 'get_current_temperature', arguments: { city: 'bern' } };

function registryOf(app: Replicas['a']): SessionRegistry {
  return app.app.get(SESSION_REGISTRY);
}

describe('Sessions shared by replicas (Redis)', () => {
  let redis: Redis;
  let prefix: string;
  let fleet: Replicas | undefined;

  beforeAll(async () => {
    await requireRedis();
    redis = redisClient();
  });

  afterAll(() => redis.disconnect());

  async function replicas(env: NodeJS.ProcessEnv = {}): Promise<Replicas> {
    prefix = uniquePrefix('fleet-sessions');
    fleet = await startReplicas(prefix, env);
    return fleet;
  }

  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
    await deletePrefix(prefix);
  });

  describe('2025 Streamable HTTP', () => {
    it('serves on B a session initialized on A, without counting it as a new session', async () => {
      const { a, b } = await replicas();
      const route: Route = { url: a.url };
      const { client, http } = await connectRouted2025(route);
      const id = http.sessionId!;
      const onA = (await client.callTool(temperature)) as CallToolResult;
      expect(onA.isError).toBeFalsy();
      expect(await redis.hget(`${prefix}s:${id}`, 'keyLabel')).toBe('anonymous');

      route.url = b.url;
      const onB = (await client.callTool(temperature)) as CallToolResult;
      expect(onB.isError).toBeFalsy();
      expect((onB.structuredContent as { city: string }).city).toBe('bern');
      expect(registryOf(b).get(id)).toBeDefined();
      expect(await redis.hget(`${prefix}s:${id}`, 'replica')).toBe('replica-b');
      // Counted once in the fleet.
      expect(await redis.zcard(`${prefix}sessions:all`)).toBe(1);
      await client.close();
    });
  });
});
