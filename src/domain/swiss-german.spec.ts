import { explainPhrase, quotePhrase } from './swiss-german';

describe('explainPhrase', () => {
  it.each([
    ['Uschaflig chaut', 'awfully cold'],
    ['Rächt gut. Mit viu Wasser', 'pretty good, with a lot of water'],
    ['⚠️ mega viu', 'a whole lot'],
    ['  Blibt äuä öpe glich ', 'will probably stay about the same'],
    ['e gutsch', 'a downpour'],
    ['Mitwuch', 'Wednesday'],
  ])('reads %p as %p', (phrase, english) => {
    expect(explainPhrase(phrase)).toBe(english);
  });

  it('invents nothing for a phrase upstream was never seen to send', () => {
    expect(explainPhrase('geil aber chli chalt')).toBeNull();
    expect(explainPhrase(null)).toBeNull();
    expect(explainPhrase('')).toBeNull();
  });
});

describe('quotePhrase', () => {
  it('quotes the phrase and adds its reading when known', () => {
    expect(quotePhrase('Me chas wage')).toBe('"Me chas wage" (you can risk it)');
    expect(quotePhrase('Neus Wort')).toBe('"Neus Wort"');
    expect(quotePhrase(null)).toBeNull();
  });
});
