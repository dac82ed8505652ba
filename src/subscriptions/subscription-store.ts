import type { Fingerprints } from './change-detection';

/** Injection token of the {@link SubscriptionStore} (this process, or Redis for replicas). */
export const SUBSCRIPTION_STORE = Symbol('SUBSCRIPTION_STORE');

export type AddOutcome = 'added' | 'exists' | 'subscriber-full' | 'key-full';

export interface SubscriptionLimits {
  /** Resources one subscriber (a session, a listen stream) may hold. */
  perSubscriber: number;
  /** Subscriptions one key may hold over all its subscribers. */
  perKey: number;
}

/**
 * Who is subscribed to which resource, for the whole deployment, and what the poller saw last.
 * A subscriber is a 2025 session id, `stdio`, or a 2026-07-28 listen stream
 * (`listen:{instance}:{uuid}`). Every change of the counts is atomic, so the bounds hold with
 * replicas adding at once.
 */
export interface SubscriptionStore {
  /** Adds the URIs not held yet, all or none: refused when a bound would be passed. */
  add(
    subscriber: string,
    keyLabel: string,
    uris: string[],
    limits: SubscriptionLimits,
  ): Promise<AddOutcome>;
  /** False when the subscriber did not hold it. */
  remove(subscriber: string, uri: string): Promise<boolean>;
  /** Ends every subscription of a subscriber (its session ended); resolves to how many. */
  removeAll(subscriber: string): Promise<number>;
  /** The URIs at least one subscriber holds. */
  uris(): Promise<string[]>;
  subscribersOf(uri: string): Promise<string[]>;
  /** Every subscriber holding at least one subscription. */
  subscribers(): Promise<string[]>;
  /** Subscriptions held, in all. */
  count(): Promise<number>;
  /** The poller's last fingerprints, shared so that another poller carries on from them. */
  fingerprints(): Promise<Fingerprints>;
  /** Replaces them: a part the last poll did not read has no baseline any more. */
  saveFingerprints(prints: Fingerprints): Promise<void>;
}
