import { grantedScopes, missingScopes, rolesOf, satisfies } from './scopes';

describe('grantedScopes', () => {
  it('reads a space-separated scope', () => {
    expect(grantedScopes({ scope: 'mcp:read  mcp:admin ' })).toEqual(['mcp:read', 'mcp:admin']);
  });

  it('reads Entra ID scp as a string and Okta scp as an array', () => {
    expect(grantedScopes({ scp: 'mcp.read mcp.write' })).toEqual(['mcp.read', 'mcp.write']);
    expect(grantedScopes({ scp: ['mcp.read', 7, '', 'mcp.write'] })).toEqual([
      'mcp.read',
      'mcp.write',
    ]);
  });

  it('joins scope and scp, each scope once', () => {
    expect(grantedScopes({ scope: 'a b', scp: ['b', 'c'] })).toEqual(['a', 'b', 'c']);
  });

  it('ignores claims of any other shape', () => {
    expect(grantedScopes({ scope: 42, scp: { a: 1 } })).toEqual([]);
    expect(grantedScopes({})).toEqual([]);
  });
});

describe('rolesOf', () => {
  it('keeps the strings of a roles array', () => {
    expect(rolesOf({ roles: ['Admin', 3, null, 'Reader'] })).toEqual(['Admin', 'Reader']);
  });

  it('gives no roles for anything else', () => {
    expect(rolesOf({ roles: 'Admin' })).toEqual([]);
    expect(rolesOf({})).toEqual([]);
  });
});

describe('satisfies', () => {
  const audiences = ['http://localhost:3000/mcp', 'api://aareguru', '6f1c2a7e-app-id'];

  it('accepts an exact match', () => {
    expect(satisfies(['mcp:read'], 'mcp:read', audiences)).toBe(true);
    expect(satisfies(['mcp:read'], 'mcp:write', audiences)).toBe(false);
    expect(satisfies(['https://other.example/read'], 'https://other.example/read', [])).toBe(true);
  });

  it("lets the short name Entra ID writes stand for this resource's <identifier>/<name>", () => {
    expect(satisfies(['mcp.read'], 'api://aareguru/mcp.read', audiences)).toBe(true);
    expect(satisfies(['mcp.write'], 'api://aareguru/mcp.read', audiences)).toBe(false);
    expect(satisfies(['mcp.read'], 'http://localhost:3000/mcp/mcp.read', audiences)).toBe(true);
  });

  it('compares the identifier ignoring one trailing slash', () => {
    expect(
      satisfies(['read'], 'http://localhost:3000/mcp/read', ['http://localhost:3000/mcp/']),
    ).toBe(true);
  });

  it("accepts Entra's default api://<application id> when the audience is the bare id", () => {
    expect(satisfies(['mcp.read'], 'api://6f1c2a7e-app-id/mcp.read', audiences)).toBe(true);
    expect(satisfies(['mcp.read'], 'api://someone-else/mcp.read', audiences)).toBe(false);
  });

  it("never counts a short name granted for another API's scope", () => {
    expect(satisfies(['read'], 'https://graph.example/read', audiences)).toBe(false);
    expect(satisfies(['read'], 'api://other-api/read', audiences)).toBe(false);
    expect(satisfies(['mcp.read'], 'api://aareguru/mcp.read', [])).toBe(false);
  });

  it('does not shorten a required scope ending or starting with a slash', () => {
    expect(satisfies([''], 'api://aareguru/', audiences)).toBe(false);
    expect(satisfies(['read'], '/read', [''])).toBe(false);
  });
});

describe('missingScopes', () => {
  it('lists what is not granted, in the order required', () => {
    const audiences = ['api://x'];
    expect(missingScopes(['b'], ['a', 'b', 'api://x/c'], audiences)).toEqual(['a', 'api://x/c']);
    expect(missingScopes(['a', 'c'], ['a', 'api://x/c'], audiences)).toEqual([]);
    expect(missingScopes(['a', 'c'], ['a', 'api://y/c'], audiences)).toEqual(['api://y/c']);
  });
});
