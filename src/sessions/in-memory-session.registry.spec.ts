import { InMemorySessionRegistry } from './in-memory-session.registry';
import type { McpSession, SessionInfo } from './session-registry.interface';

function session(id: string, keyLabel: string, transport: SessionInfo['transport']): McpSession {
  const info: SessionInfo = {
    id,
    transport,
    keyLabel,
    protocolVersion: null,
    clientName: null,
    clientVersion: null,
    openedAt: 0,
    lastActiveAt: 0,
  };
  return {
    info,
    awake: true,
    touch: () => undefined,
    hibernate: () => Promise.resolve(false),
    close: () => Promise.resolve(),
  };
}

describe('InMemorySessionRegistry', () => {
  it('counts sessions in all, per transport and per key as they come and go', () => {
    const registry = new InMemorySessionRegistry();
    registry.add(session('a', 'team-a', 'streamable-http'));
    registry.add(session('b', 'team-a', 'sse'));
    registry.add(session('c', 'team-b', 'sse'));
    registry.add(session('c', 'team-b', 'sse')); // added twice, counted once
    expect(registry.size()).toBe(3);
    expect(registry.size('sse')).toBe(2);
    expect(registry.sizeOfKey('team-a')).toBe(2);
    expect(registry.sizeOfKey('team-b')).toBe(1);

    registry.remove('a');
    registry.remove('a'); // removing an unknown id changes nothing
    registry.remove('c');
    expect(registry.sizeOfKey('team-a')).toBe(1);
    expect(registry.sizeOfKey('team-b')).toBe(0);
    expect(registry.list().map((s) => s.info.id)).toEqual(['b']);
    expect(registry.get('b')?.info.keyLabel).toBe('team-a');
  });

  it('counts a key on one transport apart from its others', () => {
    const registry = new InMemorySessionRegistry();
    registry.add(session('a', 'team-a', 'streamable-http'));
    registry.add(session('b', 'team-a', 'listen'));
    registry.add(session('c', 'team-a', 'listen'));
    registry.add(session('d', 'team-b', 'listen'));
    expect(registry.size('listen')).toBe(3);
    expect(registry.sizeOfKey('team-a')).toBe(3);
    expect(registry.sizeOfKey('team-a', 'listen')).toBe(2);
    expect(registry.sizeOfKey('team-a', 'streamable-http')).toBe(1);

    registry.remove('b');
    expect(registry.size('listen')).toBe(2);
    expect(registry.sizeOfKey('team-a', 'listen')).toBe(1);
    expect(registry.sizeOfKey('team-b', 'listen')).toBe(1);
  });
});
