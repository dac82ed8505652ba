import { jsonNestingExceeds } from './json-depth';

/** `levels` objects, one inside the other. */
const objects = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
const arrays = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

describe('jsonNestingExceeds', () => {
  it('counts a top-level object or array as one level, a scalar as none', () => {
    expect(jsonNestingExceeds('{}', 0)).toBe(true);
    expect(jsonNestingExceeds('{}', 1)).toBe(false);
    expect(jsonNestingExceeds('[]', 1)).toBe(false);
    expect(jsonNestingExceeds('"text"', 0)).toBe(false);
    expect(jsonNestingExceeds('42', 0)).toBe(false);
  });

  it('accepts exactly the limit and refuses one level more', () => {
    expect(jsonNestingExceeds(objects(64), 64)).toBe(false);
    expect(jsonNestingExceeds(objects(65), 64)).toBe(true);
    expect(jsonNestingExceeds(arrays(64), 64)).toBe(false);
    expect(jsonNestingExceeds(arrays(65), 64)).toBe(true);
    expect(jsonNestingExceeds('{"a":[{"b":[]}]}', 4)).toBe(false);
    expect(jsonNestingExceeds('{"a":[{"b":[]}]}', 3)).toBe(true);
  });

  it('measures depth, not how many containers there are', () => {
    const wide = JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ [i]: [i] })));
    expect(jsonNestingExceeds(wide, 3)).toBe(false);
    expect(jsonNestingExceeds(wide, 2)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ a: '[[[[{{{{', b: 'say \\"[[[\\" \\\\', c: '"{"' });
    expect(jsonNestingExceeds(text, 1)).toBe(false);
    expect(jsonNestingExceeds(JSON.stringify({ '[[[': { '{{{': 1 } }), 2)).toBe(false);
  });

  it('ends a string at a quote after an even run of backslashes', () => {
    // "x\\" ends after the two backslashes: the brackets after it count.
    const text = JSON.stringify({ a: 'x\\', b: [[1]] });
    expect(jsonNestingExceeds(text, 3)).toBe(false);
    expect(jsonNestingExceeds(text, 2)).toBe(true);
    expect(jsonNestingExceeds(JSON.stringify({ a: 'x\\"', b: [[1]] }), 2)).toBe(true);
  });

  it('measures 30,000 levels without exhausting the stack', () => {
    expect(jsonNestingExceeds(objects(30_000), 64)).toBe(true);
    expect(jsonNestingExceeds(objects(30_000), 30_000)).toBe(false);
  });
});
