import type { McpSession, SessionRegistry, TransportKind } from './session-registry.interface';

export class InMemorySessionRegistry implements SessionRegistry {
  private readonly sessions = new Map<string, McpSession>();
  /**
   * Open sessions per transport, per key label, and per key label on each transport, kept up to
   * date so admission checks do not scan them all.
   */
  private readonly counts = new Map<string, number>();

  add(session: McpSession): void {
    if (this.sessions.has(session.info.id)) return;
    this.sessions.set(session.info.id, session);
    for (const bucket of bucketsOf(session)) this.counts.set(bucket, this.count(bucket) + 1);
  }

  get(id: string): McpSession | undefined {
    return this.sessions.get(id);
  }

  remove(id: string): void {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    for (const bucket of bucketsOf(session)) {
      const left = this.count(bucket) - 1;
      if (left > 0) this.counts.set(bucket, left);
      else this.counts.delete(bucket);
    }
  }

  list(): McpSession[] {
    return [...this.sessions.values()];
  }

  size(transport?: TransportKind): number {
    return transport ? this.count(transportBucket(transport)) : this.sessions.size;
  }

  sizeOfKey(keyLabel: string, transport?: TransportKind): number {
    return this.count(keyBucket(keyLabel, transport));
  }

  private count(bucket: string): number {
    return this.counts.get(bucket) ?? 0;
  }
}

// Key labels are free text; the NUL separator cannot occur in a transport name.
const transportBucket = (transport: TransportKind) => `transport\0${transport}`;
const keyBucket = (keyLabel: string, transport?: TransportKind) =>
  `key\0${transport ?? '*'}\0${keyLabel}`;

function bucketsOf({ info }: McpSession): string[] {
  return [
    transportBucket(info.transport),
    keyBucket(info.keyLabel),
    keyBucket(info.keyLabel, info.transport),
  ];
}
