import { cityUri, parseSubscribable } from './subscribable-uri';

describe('parseSubscribable', () => {
  it('knows the two lists and the two city templates', () => {
    expect(parseSubscribable('aareguru://widget')).toEqual({
      kind: 'widget',
      uri: 'aareguru://widget',
    });
    expect(parseSubscribable('aareguru://cities')).toEqual({
      kind: 'cities',
      uri: 'aareguru://cities',
    });
    expect(parseSubscribable('aareguru://current/thun')).toEqual({
      kind: 'current',
      uri: 'aareguru://current/thun',
      city: 'thun',
    });
    expect(parseSubscribable(cityUri('today', 'bern'))).toMatchObject({
      kind: 'today',
      city: 'bern',
    });
  });

  it('refuses everything else, including resources that never change', () => {
    for (const uri of [
      'aareguru://safety-levels',
      'aareguru://current/',
      'aareguru://current/Thun',
      'aareguru://current/thun/extra',
      'aareguru://today/../widget',
      `aareguru://current/${'a'.repeat(65)}`,
      'https://aareguru.existenz.ch/v2018/widget',
      '',
    ]) {
      expect({ uri, parsed: parseSubscribable(uri) }).toEqual({ uri, parsed: undefined });
    }
  });
});
