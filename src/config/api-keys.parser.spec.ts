import { ApiKeyParseError, parseApiKeys, sha256 } from './api-keys.parser';

const SECRET = 'team-a-secret-0123456789';
const OTHER = 'team-b-secret-9876543210';

describe('parseApiKeys', () => {
  it('reads plain, labelled and hashed keys', () => {
    const hex = sha256(OTHER).toString('hex');
    // The labelled secret has a colon of its own: everything after the label's colon is the key.
    const entries = parseApiKeys(
      ` ${SECRET} , team-b:sha256:${hex}, ops:${OTHER}:x, sha256:${hex.toUpperCase()}`,
    );
    expect(entries.map((e) => e.label)).toEqual([
      `key-${sha256(SECRET).toString('hex').slice(0, 8)}`,
      'team-b',
      'ops',
      `key-${hex.slice(0, 8)}`,
    ]);
    expect(entries.map((e) => e.digest.toString('hex'))).toEqual([
      sha256(SECRET).toString('hex'),
      hex,
      sha256(`${OTHER}:x`).toString('hex'),
      hex,
    ]);
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

describe('reserved labels', () => {
  it.each(['anonymous', 'gateway', 'oauth', 'stdio'])(
    'refuses the label %p, which counts callers without a key',
    (label) => {
      expect(() => parseApiKeys(`${label}:0123456789abcdef0123`, 'API_KEYS')).toThrow(
        `API_KEYS: entry 1 uses the label "${label}", which names other callers in logs and metrics`,
      );
    },
  );
});
