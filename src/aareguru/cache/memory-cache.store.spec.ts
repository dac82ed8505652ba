import { Counter, Gauge } from 'prom-client';
import { ManualClock } from '../../../test/support/manual-clock';
import { CACHE_BYTES, CACHE_ENTRIES, CACHE_EVICTIONS } from '../aareguru.metrics';
import { jsonBytes, MemoryCacheStore } from './memory-cache.store';

const HOUR = 3_600_000;

/** A value whose JSON is exactly `bytes` long: a string of bytes - 2 characters and its quotes. */
const ofSize = (bytes: number) => 'x'.repeat(bytes - 2);

describe('MemoryCacheStore', () => {
  let clock: ManualClock;
  let evictions: Counter<'reason'>;
  let bytesGauge: Gauge;
  let entriesGauge: Gauge;

  const store = (maxEntries: number, maxBytes: number) =>
    new MemoryCacheStore({ maxEntries, maxBytes }, clock, {
      evictions,
      bytes: bytesGauge,
      entries: entriesGauge,
    });
  const evicted = async (reason: string) =>
    (await evictions.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
  const gaugeValue = async () => (await bytesGauge.get()).values[0]?.value;
  const entriesValue = async () => (await entriesGauge.get()).values[0]?.value;
  const keys = async (s: MemoryCacheStore) => (await s.list()).map((e) => e.key);

  beforeEach(() => {
    clock = new ManualClock();
    evictions = new Counter({ ...CACHE_EVICTIONS, registers: [] });
    bytesGauge = new Gauge({ ...CACHE_BYTES, registers: [] });
    entriesGauge = new Gauge({ ...CACHE_ENTRIES, registers: [] });
  });

  it('measures a value as the byte length of its JSON', () => {
    expect(jsonBytes('abc')).toBe(5);
    expect(jsonBytes({ city: 'Bärn' })).toBe(16); // ä is two bytes in UTF-8
    expect(jsonBytes([{ timestamp: 1, value: null }])).toBe(30);
    expect(jsonBytes(undefined)).toBe(1); // no JSON at all, but a size the LRU accepts
  });

  it('evicts the least recently used entry beyond its entry bound', async () => {
    const s = store(2, 1_000_000);
    await s.set('a', { value: 1, storedAt: 0 }, HOUR);
    await s.set('b', { value: 2, storedAt: 0 }, HOUR);
    await s.get('a'); // a is now more recent than b
    await s.set('c', { value: 3, storedAt: 0 }, HOUR);
    expect(await s.size()).toBe(2);
    expect(await s.get('b')).toBeUndefined();
    expect(await s.get('a')).toEqual({ value: 1, storedAt: 0 });
    expect(await evicted('capacity')).toBe(1);
  });

  it('evicts least recently used entries until a new one fits the byte budget', async () => {
    const s = store(100, 100);
    await s.set('a', { value: ofSize(30), storedAt: 0 }, HOUR);
    await s.set('b', { value: ofSize(30), storedAt: 0 }, HOUR);
    await s.set('c', { value: ofSize(30), storedAt: 0 }, HOUR);
    await s.get('a'); // order, least recent first: b, c, a
    expect(await s.bytes()).toBe(90);

    await s.set('d', { value: ofSize(50), storedAt: 0 }, HOUR);
    // 90 + 50 > 100: b and then c go (a alone plus d is 80).
    expect(await keys(s)).toEqual(['a', 'd']);
    expect(await s.bytes()).toBe(80);
    expect(await gaugeValue()).toBe(80);
    expect(await entriesValue()).toBe(2);
    expect(await evicted('capacity')).toBe(2);
  });

  it('fills the budget exactly without evicting', async () => {
    const s = store(100, 100);
    await s.set('a', { value: ofSize(60), storedAt: 0 }, HOUR);
    await s.set('b', { value: ofSize(40), storedAt: 0 }, HOUR);
    expect(await keys(s)).toEqual(['a', 'b']);
    expect(await evicted('capacity')).toBe(0);
  });

  it('keeps whichever bound is tighter', async () => {
    const s = store(3, 100);
    for (const key of ['a', 'b', 'c', 'd']) {
      await s.set(key, { value: ofSize(10), storedAt: 0 }, HOUR);
    }
    expect(await keys(s)).toEqual(['b', 'c', 'd']); // the entry bound
    await s.set('e', { value: ofSize(85), storedAt: 0 }, HOUR);
    expect(await keys(s)).toEqual(['d', 'e']); // the byte bound: 10 + 85
    expect(await s.bytes()).toBe(95);
    expect(await evicted('capacity')).toBe(3);
  });

  it('does not keep a value larger than the whole budget, nor the older value of its key', async () => {
    const s = store(100, 100);
    await s.set('a', { value: ofSize(40), storedAt: 0 }, HOUR);
    await s.set('b', { value: ofSize(40), storedAt: 0 }, HOUR);
    await s.set('b', { value: ofSize(101), storedAt: 1 }, HOUR);
    expect(await s.get('b')).toBeUndefined();
    // Nothing else was evicted to make room for something that could never fit.
    expect(await keys(s)).toEqual(['a']);
    expect(await s.bytes()).toBe(40);
    expect(await gaugeValue()).toBe(40);
    expect(await evicted('oversize')).toBe(1);
    expect(await evicted('capacity')).toBe(0);
  });

  it('counts a replaced value once, at its new size', async () => {
    const s = store(100, 100);
    await s.set('a', { value: ofSize(40), storedAt: 0 }, HOUR);
    await s.set('a', { value: ofSize(70), storedAt: 1 }, HOUR);
    expect(await s.bytes()).toBe(70);
    expect(await s.list()).toEqual([{ key: 'a', storedAt: 1, bytes: 70 }]);
    expect(await evicted('capacity')).toBe(0);
  });

  it('forgets entries after their retention time and gives their bytes back', async () => {
    const s = store(10, 1000);
    await s.set('a', { value: 1, storedAt: clock.now() }, 1000);
    clock.advance(999);
    expect(await s.get('a')).toBeDefined();
    clock.advance(1);
    expect(await s.list()).toEqual([]);
    expect(await s.get('a')).toBeUndefined();
    expect(await s.size()).toBe(0);
    expect(await s.bytes()).toBe(0);
    expect(await evicted('capacity')).toBe(0); // expiry is not an eviction
  });

  it('lists entries least recently used first without reordering them', async () => {
    const s = store(10, 1000);
    await s.set('a', { value: 1, storedAt: 5 }, HOUR);
    await s.set('b', { value: 'two', storedAt: 6 }, HOUR);
    await s.get('a');
    expect(await s.list()).toEqual([
      { key: 'b', storedAt: 6, bytes: 5 },
      { key: 'a', storedAt: 5, bytes: 1 },
    ]);
    expect(await s.list()).toEqual(await s.list());
  });

  it('deletes the entries whose keys match, and says how many', async () => {
    const s = store(10, 1000);
    for (const key of ['current?city=bern', 'today?city=bern', 'current?city=thun']) {
      await s.set(key, { value: 1, storedAt: 0 }, HOUR);
    }
    expect(await s.deleteMatching(/[?&]city=bern(&|$)/)).toBe(2);
    expect(await keys(s)).toEqual(['current?city=thun']);
    expect(await s.deleteMatching(/(?:)/)).toBe(1);
    expect(await s.size()).toBe(0);
  });

  it('gives every byte back on delete and clear', async () => {
    const s = store(10, 1000);
    await s.set('a', { value: ofSize(30), storedAt: 0 }, HOUR);
    await s.set('b', { value: ofSize(20), storedAt: 0 }, HOUR);
    await s.delete('a');
    expect(await s.bytes()).toBe(20);
    expect(await gaugeValue()).toBe(20);
    expect(await entriesValue()).toBe(1);
    await s.clear();
    expect(await s.bytes()).toBe(0);
    expect(await gaugeValue()).toBe(0);
    expect(await entriesValue()).toBe(0);
    expect(await evicted('capacity')).toBe(0);
  });
});
