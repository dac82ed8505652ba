import { parseHistorySeries } from './history.parser';

describe('parseHistorySeries', () => {
  it('reads the { data: { temperature, flow } } pair shape, keeping nulls and sorting by time', () => {
    expect(
      parseHistorySeries({
        status: 'success',
        data: {
          temperature: [
            [20, 12.5],
            [10, null],
          ],
          flow: [[10, 247]],
        },
      }),
    ).toEqual({
      temperature: [
        { timestamp: 10, value: null },
        { timestamp: 20, value: 12.5 },
      ],
      flow: [{ timestamp: 10, value: 247 }],
    });
  });

  it('reads a bare list of measurement objects', () => {
    expect(
      parseHistorySeries([
        { time: 10, aare: 12.5, flow: 200 },
        { timestamp: 20, temperature: 'x', flow: null },
      ]),
    ).toEqual({
      temperature: [
        { timestamp: 10, value: 12.5 },
        { timestamp: 20, value: null },
      ],
      flow: [
        { timestamp: 10, value: 200 },
        { timestamp: 20, value: null },
      ],
    });
  });

  it('accepts an empty series', () => {
    expect(parseHistorySeries({ data: { temperature: [], flow: [] } })).toEqual({
      temperature: [],
      flow: [],
    });
  });

  it.each([null, 'text', 42, {}, { data: {} }, [{ foo: 1 }]])(
    'returns null for an unknown shape: %p',
    (body) => {
      expect(parseHistorySeries(body)).toBeNull();
    },
  );
});
