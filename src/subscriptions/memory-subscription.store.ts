import type { Fingerprints } from './change-detection';
import type { AddOutcome, SubscriptionLimits, SubscriptionStore } from './subscription-store';

/** Subscriptions of one process (no REDIS_URL, or stdio). */
export class MemorySubscriptionStore implements SubscriptionStore {
  private readonly bySubscriber = new Map<string, { keyLabel: string; uris: Set<string> }>();
  private readonly byUri = new Map<string, Set<string>>();
  private readonly ofKey = new Map<string, number>();
  private prints: Fingerprints = {};

  add(
    subscriber: string,
    keyLabel: string,
    uris: string[],
    limits: SubscriptionLimits,
  ): Promise<AddOutcome> {
    const held = this.bySubscriber.get(subscriber);
    const fresh = [...new Set(uris)].filter((uri) => !held?.uris.has(uri));
    if (fresh.length === 0) return Promise.resolve('exists');
    if ((held?.uris.size ?? 0) + fresh.length > limits.perSubscriber) {
      return Promise.resolve('subscriber-full');
    }
    if ((this.ofKey.get(keyLabel) ?? 0) + fresh.length > limits.perKey) {
      return Promise.resolve('key-full');
    }
    const entry = held ?? { keyLabel, uris: new Set<string>() };
    this.bySubscriber.set(subscriber, entry);
    for (const uri of fresh) {
      entry.uris.add(uri);
      let subscribers = this.byUri.get(uri);
      if (!subscribers) this.byUri.set(uri, (subscribers = new Set()));
      subscribers.add(subscriber);
    }
    this.ofKey.set(entry.keyLabel, (this.ofKey.get(entry.keyLabel) ?? 0) + fresh.length);
    return Promise.resolve('added');
  }

  remove(subscriber: string, uri: string): Promise<boolean> {
    const entry = this.bySubscriber.get(subscriber);
    if (!entry?.uris.delete(uri)) return Promise.resolve(false);
    this.forget(subscriber, entry.keyLabel, [uri]);
    if (entry.uris.size === 0) this.bySubscriber.delete(subscriber);
    return Promise.resolve(true);
  }

  removeAll(subscriber: string): Promise<number> {
    const entry = this.bySubscriber.get(subscriber);
    if (!entry) return Promise.resolve(0);
    this.bySubscriber.delete(subscriber);
    this.forget(subscriber, entry.keyLabel, [...entry.uris]);
    return Promise.resolve(entry.uris.size);
  }

  uris(): Promise<string[]> {
    return Promise.resolve([...this.byUri.keys()]);
  }

  subscribersOf(uri: string): Promise<string[]> {
    return Promise.resolve([...(this.byUri.get(uri) ?? [])]);
  }

  subscribers(): Promise<string[]> {
    return Promise.resolve([...this.bySubscriber.keys()]);
  }

  count(): Promise<number> {
    let count = 0;
    for (const { uris } of this.bySubscriber.values()) count += uris.size;
    return Promise.resolve(count);
  }

  fingerprints(): Promise<Fingerprints> {
    return Promise.resolve({ ...this.prints });
  }

  saveFingerprints(prints: Fingerprints): Promise<void> {
    this.prints = { ...prints };
    return Promise.resolve();
  }

  private forget(subscriber: string, keyLabel: string, uris: string[]): void {
    for (const uri of uris) {
      const subscribers = this.byUri.get(uri);
      subscribers?.delete(subscriber);
      if (subscribers?.size === 0) this.byUri.delete(uri);
    }
    const left = (this.ofKey.get(keyLabel) ?? 0) - uris.length;
    if (left > 0) this.ofKey.set(keyLabel, left);
    else this.ofKey.delete(keyLabel);
  }
}
