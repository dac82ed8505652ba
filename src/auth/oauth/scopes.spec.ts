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
  it('accepts an exact match', () => {
    expect(satisfies(['mcp:read'], 'mcp:read')).toBe(true);
    expect(satisfies(['mcp:read'], 'mcp:write')).toBe(false);
  });

  it('lets the short name Entra ID writes stand for <resource>/<name>', () => {
    expect(satisfies(['mcp.read'], 'api://aareguru/mcp.read')).toBe(true);
    expect(satisfies(['mcp.write'], 'api://aareguru/mcp.read')).toBe(false);
  });

  it('does not shorten a required scope ending in a slash', () => {
    expect(satisfies([''], 'api://aareguru/')).toBe(false);
  });
});

describe('missingScopes', () => {
  it('lists what is not granted, in the order required', () => {
    expect(missingScopes(['b'], ['a', 'b', 'api://x/c'])).toEqual(['a', 'api://x/c']);
    expect(missingScopes(['a', 'c'], ['a', 'api://x/c'])).toEqual([]);
  });
});
