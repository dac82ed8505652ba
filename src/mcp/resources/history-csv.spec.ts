import { HISTORY_CSV_HEADER, historyCsv } from './history-csv';

const series = (points: [number, number | null][]) => ({
  points: points.map(([timestamp, value]) => ({ timestamp, value })),
});

const rowsOf = (csv: string) => csv.split('\r\n').slice(0, -1);

describe('historyCsv', () => {
  it('writes a header and one row per timestamp, oldest first, with CRLF line ends', () => {
    const csv = historyCsv({
      temperature: series([
        [1683460200, 12.46],
        [1683459600, 12.44],
      ]),
      flow: series([
        [1683459600, 98],
        [1683460200, 97.5],
      ]),
    } as never);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(rowsOf(csv)).toEqual([
      HISTORY_CSV_HEADER,
      '2023-05-07T11:40:00Z,1683459600,12.44,98',
      '2023-05-07T11:50:00Z,1683460200,12.46,97.5',
    ]);
  });

  it('leaves a cell empty where a series has no point or upstream reported a gap', () => {
    const csv = historyCsv({
      temperature: series([
        [100, 10.5],
        [700, null],
      ]),
      flow: series([
        [100, 80],
        [1300, 81],
      ]),
    } as never);
    expect(rowsOf(csv)).toEqual([
      HISTORY_CSV_HEADER,
      '1970-01-01T00:01:40Z,100,10.5,80',
      '1970-01-01T00:11:40Z,700,,',
      '1970-01-01T00:21:40Z,1300,,81',
    ]);
  });

  it('is only the header for empty series', () => {
    expect(historyCsv({ temperature: series([]), flow: series([]) } as never)).toBe(
      `${HISTORY_CSV_HEADER}\r\n`,
    );
  });

  it('has the same number of cells in every row', () => {
    const csv = historyCsv({
      temperature: series([[1, 1.25]]),
      flow: series([[2, 3]]),
    } as never);
    for (const row of rowsOf(csv)) expect(row.split(',')).toHaveLength(4);
  });
});
