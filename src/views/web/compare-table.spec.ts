import { needsDate, nextSort, sortBy, swissDayKey } from './compare-table';

describe('sortBy', () => {
  const rows = [
    { id: 'a', t: 12 },
    { id: 'b', t: null },
    { id: 'c', t: 20 },
    { id: 'd', t: 12 },
    { id: 'e', t: Number.NaN },
    { id: 'f', t: 8 },
  ];
  const ids = (list: { id: string }[]) => list.map((r) => r.id);

  it('sorts ascending and descending with unknown values last both ways', () => {
    expect(ids(sortBy(rows, (r) => r.t, 'ascending'))).toEqual(['f', 'a', 'd', 'c', 'b', 'e']);
    expect(ids(sortBy(rows, (r) => r.t, 'descending'))).toEqual(['c', 'a', 'd', 'f', 'b', 'e']);
  });

  it('keeps equal values in their order in both directions (stable)', () => {
    const asc = ids(sortBy(rows, (r) => r.t, 'ascending'));
    const desc = ids(sortBy(rows, (r) => r.t, 'descending'));
    expect(asc.indexOf('a')).toBeLessThan(asc.indexOf('d'));
    expect(desc.indexOf('a')).toBeLessThan(desc.indexOf('d'));
  });

  it('sorts names as Swiss German readers expect, empty names last', () => {
    const names = [{ id: 'Thun' }, { id: 'Bärn' }, { id: '' }, { id: 'biel' }, { id: 'Brugg AG' }];
    expect(ids(sortBy(names, (r) => r.id, 'ascending'))).toEqual([
      'Bärn',
      'biel',
      'Brugg AG',
      'Thun',
      '',
    ]);
    expect(ids(sortBy(names, (r) => r.id, 'descending'))).toEqual([
      'Thun',
      'Brugg AG',
      'biel',
      'Bärn',
      '',
    ]);
  });

  it('does not change the list it is given', () => {
    const copy = rows.map((r) => r.id);
    sortBy(rows, (r) => r.t, 'descending');
    expect(rows.map((r) => r.id)).toEqual(copy);
  });
});

describe('nextSort', () => {
  it('starts a column in its own first direction and turns it round on the next click', () => {
    const first = nextSort(null, 'temperature', 'descending');
    expect(first).toEqual({ key: 'temperature', direction: 'descending' });
    const second = nextSort(first, 'temperature', 'descending');
    expect(second).toEqual({ key: 'temperature', direction: 'ascending' });
    expect(nextSort(second, 'temperature', 'descending').direction).toBe('descending');
    expect(nextSort(second, 'city', 'ascending')).toEqual({ key: 'city', direction: 'ascending' });
  });
});

describe('measurement dates', () => {
  const all = [
    '2024-08-19T21:10:00.000Z',
    '2023-05-09T11:20:00.000Z',
    null,
    '2024-08-19T21:05:37Z',
  ];

  it('gives the Swiss day of a time (after midnight in Switzerland, before in UTC)', () => {
    expect(swissDayKey('2024-08-19T21:10:00.000Z')).toBe('2024-08-19');
    expect(swissDayKey('2024-08-19T22:30:00.000Z')).toBe('2024-08-20');
    expect(swissDayKey(null)).toBeNull();
    expect(swissDayKey('not a time')).toBeNull();
  });

  it('asks for the date only when a measurement is from another day than the newest', () => {
    expect(needsDate('2024-08-19T21:05:37Z', all)).toBe(false);
    expect(needsDate('2024-08-19T21:10:00.000Z', all)).toBe(false);
    expect(needsDate('2023-05-09T11:20:00.000Z', all)).toBe(true);
    expect(needsDate(null, all)).toBe(false);
  });
});
