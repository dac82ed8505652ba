import { ApiKeyParseError, matchApiKey, parseApiKeys, sha256 } from './api-keys';

const SECRET = 'team-a-secret-0123456789';
const OTHER = 'team-b-secret-9876543210';

describe('parseApiKeys', () => {
  it('reads plain, labelled and hashed keys', () => {
    const hex = sha256(OTHER).toString('hex');
    const entries = parseApiKeys(
      ` ${SECRET} , team-b:sha256:${hex}, ops:${OTHER}x, sha256:${hex.toUpperCase()}`.replace(
        'ops:',
        'ops:',
      ),
    );
    expect(entries.map((e) => e.label)).toEqual([
      `key-${sha256(SECRET).toString('hex').slice(0, 8)}`,
      'team-b',
      'ops',
      `key-${hex.slice(0, 8)}`,
    ]);
    expect(entries[1].digest.equals(sha256(OTHER))).toBe(true);
  });

  it('is empty for an empty value', () => {
    expect(parseApiKeys('')).toEqual([]);
    expect(parseApiKeys(' , ')).toEqual([]);
  });

  it.each([
    ['short', /shorter than 16/],
    ['sha256:abc', /not a valid sha256/],
    ['team:sha256:xyz', /not a valid sha256/],
    ['bad label!:0123456789abcdefgh', /invalid label/],
    [`a:${SECRET},a:${OTHER}`, /used twice/],
  ])('rejects %p', (value, message) => {
    expect(() => parseApiKeys(value)).toThrow(ApiKeyParseError);
    expect(() => parseApiKeys(value)).toThrow(message);
  });
});

describe('matchApiKey', () => {
  const entries = parseApiKeys(`a:${SECRET},b:sha256:${sha256(OTHER).toString('hex')}`);

  it('finds the entry of a plain or hashed key', () => {
    expect(matchApiKey(SECRET, entries)?.label).toBe('a');
    expect(matchApiKey(OTHER, entries)?.label).toBe('b');
  });

  it('finds nothing for a wrong, empty or near key', () => {
    expect(matchApiKey('wrong', entries)).toBeUndefined();
    expect(matchApiKey('', entries)).toBeUndefined();
    expect(matchApiKey(`${SECRET} `, entries)).toBeUndefined();
    expect(matchApiKey(SECRET, [])).toBeUndefined();
  });
});
