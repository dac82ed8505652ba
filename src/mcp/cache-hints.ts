import type { CacheHint, McpServerOptions } from '@modelcontextprotocol/server';

/**
 * Cache hints for results of protocol revision 2026-07-28 (SEP-2549: `ttlMs` and `cacheScope`
 * on cacheable results). The SDK emits them only on 2026-07-28 responses; 2025 responses never
 * carry them. Everything this server serves is public data, the same for every caller, so shared
 * caches may keep it (`public`).
 */

/** What does not change while the server runs (fixed texts, the lists of what it offers). */
export const LONG_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * The hint for one answer read through the upstream cache: what is left of its life there, so a
 * client does not keep a nearly expired entry for a whole TTL more; an answer served stale
 * (upstream failing) is not to be kept at all.
 */
export function remainingCacheHint(
  answer: { stale: boolean; ageSeconds: number },
  cacheTtlSeconds: number,
): CacheHint {
  const ttlMs = answer.stale ? 0 : Math.max(0, (cacheTtlSeconds - answer.ageSeconds) * 1000);
  return { ttlMs: Math.round(ttlMs), cacheScope: 'public' };
}

/** A resource fixed at build time, such as the danger levels. */
export const STATIC_CACHE_HINT: CacheHint = { ttlMs: LONG_TTL_MS, cacheScope: 'public' };

/**
 * The lists and the discovery result are the same for every client and change only with a new
 * release; an hour keeps a rolled-out release visible soon. `resources/list` is left out: it
 * lists upstream's cities, which the templates' reads already describe with their own hints.
 */
const LIST_TTL_MS = 60 * 60 * 1000;
const LIST_HINT: CacheHint = { ttlMs: LIST_TTL_MS, cacheScope: 'public' };

/**
 * What changes with a release but must match what the tools of the same release return (the
 * views): an hour, like the lists that point at it.
 */
export const RELEASE_CACHE_HINT: CacheHint = LIST_HINT;

export const SERVER_CACHE_HINTS: NonNullable<McpServerOptions['cacheHints']> = {
  'tools/list': LIST_HINT,
  'prompts/list': LIST_HINT,
  'resources/templates/list': LIST_HINT,
  'server/discover': LIST_HINT,
};
