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

/** Whether `granted` holds `required`. */
export function satisfies(granted: readonly string[], required: string): boolean {
  if (granted.includes(required)) return true;
  // Entra ID asks for `api://<app>/<name>` but writes only `<name>` into `scp`: the short name
  // stands for the full one, as the token can only have been issued for this resource.
  const slash = required.lastIndexOf('/');
  const shortName = slash >= 0 ? required.slice(slash + 1) : '';
  return shortName !== '' && granted.includes(shortName);
}

/** The required scopes `granted` does not satisfy, in the order required. */
export function missingScopes(granted: readonly string[], required: readonly string[]): string[] {
  return required.filter((scope) => !satisfies(granted, scope));
}
