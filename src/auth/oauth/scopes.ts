/** Provisional: replaced by the verifier branch. */
export function missingScopes(granted: string[], required: string[]): string[] {
  return required.filter((scope) => !satisfies(granted, scope));
}

export function satisfies(granted: string[], required: string): boolean {
  if (granted.includes(required)) return true;
  const slash = required.lastIndexOf('/');
  return slash >= 0 && slash < required.length - 1 && granted.includes(required.slice(slash + 1));
}
