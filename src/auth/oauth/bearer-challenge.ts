/** A quoted-string of RFC 9110: `\` and `"` escaped, anything unprintable made a space. */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&').replace(/[^\x20-\x7e]/g, ' ')}"`;
}

export interface BearerChallenge {
  /** RFC 6750 §3.1; none when the request carried no token at all. */
  error?: 'invalid_token' | 'insufficient_scope';
  description?: string;
  /** RFC 9728 §5.1: where the client finds which authorization servers issue tokens for us. */
  resourceMetadata: string;
  /** What a token needs to be granted (MCP authorization: SHOULD be in the challenge). */
  scopes: readonly string[];
}

/**
 * `WWW-Authenticate: Bearer …` (RFC 6750 §3). A request without a token gets no error code, as
 * the RFC asks; the official MCP client reads resource_metadata and scope from either form.
 */
export function bearerChallenge(challenge: BearerChallenge): string {
  const params: string[] = [];
  if (challenge.error) params.push(`error=${quoted(challenge.error)}`);
  if (challenge.error && challenge.description)
    params.push(`error_description=${quoted(challenge.description)}`);
  params.push(`resource_metadata=${quoted(challenge.resourceMetadata)}`);
  if (challenge.scopes.length > 0) params.push(`scope=${quoted(challenge.scopes.join(' '))}`);
  return `Bearer ${params.join(', ')}`;
}
