import { timingSafeEqual } from 'node:crypto';
import { type ApiKeyEntry, sha256 } from '../config/api-keys.parser';

/**
 * The entry a presented key belongs to, or undefined. Compares SHA-256 digests in constant time
 * and always looks at every entry, so timing tells nothing about which keys exist.
 */
export function matchApiKey(
  presented: string,
  entries: readonly ApiKeyEntry[],
): ApiKeyEntry | undefined {
  const digest = sha256(presented);
  let match: ApiKeyEntry | undefined;
  for (const entry of entries) {
    if (timingSafeEqual(digest, entry.digest) && !match) match = entry;
  }
  return match;
}
