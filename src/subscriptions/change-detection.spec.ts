import { changedParts, fingerprint, widgetFingerprints } from './change-detection';

describe('change detection', () => {
  const thun = { timestamp: 1724101800, temperature: 17.2, flow: 95 };
  const bern = { timestamp: 1724101800, temperature: 18.1, flow: 120 };

  it('gives equal values equal fingerprints, whatever the order of their keys', () => {
    expect(fingerprint({ a: 1, b: [1, { c: 2, d: null }] })).toBe(
      fingerprint({ b: [1, { d: null, c: 2 }], a: 1 }),
    );
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 1.1 }));
    expect(fingerprint([1, 2])).not.toBe(fingerprint([2, 1]));
  });

  it('sees a new measurement of one city as a change of that city and of the widget only', () => {
    const before = widgetFingerprints({ thun, bern });
    const after = widgetFingerprints({ thun: { ...thun, timestamp: 1724102400 }, bern });
    expect(changedParts(before, after).sort()).toEqual(['widget', 'widget:thun']);
  });

  it('sees a changed value at the same measurement time as a change', () => {
    const before = widgetFingerprints({ thun, bern });
    const after = widgetFingerprints({ thun, bern: { ...bern, flow: 121 } });
    expect(changedParts(before, after).sort()).toEqual(['widget', 'widget:bern']);
  });

  it('reports nothing when nothing changed', () => {
    expect(
      changedParts(widgetFingerprints({ thun, bern }), widgetFingerprints({ bern, thun })),
    ).toEqual([]);
  });

  it('takes a part seen for the first time as the baseline', () => {
    expect(changedParts({}, widgetFingerprints({ thun }))).toEqual([]);
    const before = widgetFingerprints({ thun });
    const after = widgetFingerprints({ thun, bern });
    // Bern is new (no change of its own), but the set of cities and the document changed.
    expect(changedParts(before, after).sort()).toEqual(['city-ids', 'widget']);
  });
});
