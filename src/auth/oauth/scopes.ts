/** Space-separated scopes (`scope`, Entra's `scp`) or a list of them (Okta's `scp`). */
function scopesIn(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ');
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

/** The scopes a token grants: `scope` and `scp` together, each once, no empty ones. */
export function grantedScopes(payload: Record<string, unknown>): string[] {
  const all = [...scopesIn(payload.scope), ...scopesIn(payload.scp)];
  return [...new Set(all.map((scope) => scope.trim()).filter((scope) => scope !== ''))];
}

/** The `roles` claim as strings; anything else in it is dropped. */
export function rolesOf(payload: Record<string, unknown>): string[] {
  const roles = payload.roles;
  if (!Array.isArray(roles)) return [];
  return roles.filter((role): role is string => typeof role === 'string');
}

/** A resource identifier compared as RFC 8707 does: one trailing slash makes no difference. */
function comparable(resource: string): string {
  return resource.replace(/\/$/, '');
}

/** Whether `prefix` names this resource: one of `audiences`, or Entra's `api://<audience>`. */
function isOwnResource(prefix: string, audiences: readonly string[]): boolean {
  const own = comparable(prefix);
  return audiences.some(
    (audience) => comparable(audience) === own || `api://${comparable(audience)}` === own,
  );
}

/**
 * Whether `granted` holds `required`. Entra ID asks for `<resource>/<name>` but writes only
 * `<name>` into `scp`, so a short name stands for the full one; only when `<resource>` is this
 * server's own identifier (one of `audiences`, or `api://<application id>` whose bare id is the
 * token's aud), so a generic `read` granted for some other API never counts here.
 */
export function satisfies(
  granted: readonly string[],
  required: string,
  audiences: readonly string[],
): boolean {
  if (granted.includes(required)) return true;
  const slash = required.lastIndexOf('/');
  if (slash <= 0) return false;
  const shortName = required.slice(slash + 1);
  if (shortName === '' || !granted.includes(shortName)) return false;
  return isOwnResource(required.slice(0, slash), audiences);
}

/** The required scopes `granted` does not satisfy, in the order required. */
export function missingScopes(
  granted: readonly string[],
  required: readonly string[],
  audiences: readonly string[],
): string[] {
  return required.filter((scope) => !satisfies(granted, scope, audiences));
}
