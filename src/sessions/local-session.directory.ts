import type { SessionDirectory } from './session-directory.interface';

const unshared = (): never => {
  throw new Error('sessions are not shared without REDIS_URL');
};

/**
 * One process: sessions live in its registry alone and nothing is recorded elsewhere. The
 * lifecycle checks `shared` and never calls the rest.
 */
export class LocalSessionDirectory implements SessionDirectory {
  readonly shared = false;
  constructor(readonly replicaId: string) {}
  admit = unshared;
  read = unshared;
  exists = unshared;
  renew = unshared;
  restore = unshared;
  update = unshared;
  remove = unshared;
  list = unshared;
  count = unshared;
  announce = unshared;
  onEvent = unshared;
  relay = unshared;
  onRelayed = unshared;
  isAlive = unshared;
}
