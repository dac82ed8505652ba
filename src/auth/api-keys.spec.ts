import { parseApiKeys, sha256 } from '../config/api-keys.parser';
import { matchApiKey } from './api-keys';

const SECRET = 'team-a-secret-0123456789';
const OTHER = 'team-b-secret-9876543210';

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
