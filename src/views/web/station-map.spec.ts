import {
  fitProjection,
  labelSize,
  linePath,
  placeLabels,
  position,
  upstreamOrder,
  type Rect,
} from './station-map';

const STATIONS = [
  { city: 'biel', lat: 47.12, lon: 7.28 },
  { city: 'brugg', lat: 47.48, lon: 8.19 },
  { city: 'olten', lat: 47.35, lon: 7.9 },
  { city: 'hagneck', lat: 47.06, lon: 7.18 },
  { city: 'interlaken', lat: 46.69, lon: 7.88 },
  { city: 'thun', lat: 46.76, lon: 7.61 },
  { city: 'bern', lat: 46.93, lon: 7.45 },
  { city: 'brienz', lat: 46.75, lon: 8.09 },
];
const BOX = { width: 360, height: 330, padding: 28 };

describe('upstreamOrder', () => {
  it('puts the known stations in the order the Aare passes them, whatever the ranking', () => {
    expect(upstreamOrder(STATIONS).map((s) => s.city)).toEqual([
      'brienz',
      'interlaken',
      'thun',
      'bern',
      'hagneck',
      'biel',
      'olten',
      'brugg',
    ]);
  });

  it('puts unknown stations after the known ones, west to east', () => {
    const order = upstreamOrder([
      { city: 'aarau', lon: 8.05 },
      { city: 'bern', lon: 7.45 },
      { city: 'solothurn', lon: 7.53 },
      { city: 'thun', lon: 7.61 },
    ]);
    expect(order.map((s) => s.city)).toEqual(['thun', 'bern', 'solothurn', 'aarau']);
  });
});

describe('position', () => {
  it('takes only finite coordinates', () => {
    expect(position({ lat: 46.9, lon: 7.4 })).toEqual({ lat: 46.9, lon: 7.4 });
    expect(position(null)).toBeNull();
    expect(position({ lat: null, lon: 7.4 })).toBeNull();
    expect(position({ lat: 46.9, lon: Number.NaN })).toBeNull();
  });
});

describe('fitProjection', () => {
  const project = fitProjection(STATIONS, BOX);
  const at = (city: string) => project(STATIONS.find((s) => s.city === city)!);

  it('draws north up and east right', () => {
    // Brugg is north of Interlaken, Brienz east of Hagneck.
    expect(at('brugg').y).toBeLessThan(at('interlaken').y);
    expect(at('brienz').x).toBeGreaterThan(at('hagneck').x);
  });

  it('fits every station inside the padding and touches it on the limiting side', () => {
    const points = STATIONS.map(project);
    for (const p of points) {
      expect(p.x).toBeGreaterThanOrEqual(BOX.padding - 1e-9);
      expect(p.x).toBeLessThanOrEqual(BOX.width - BOX.padding + 1e-9);
      expect(p.y).toBeGreaterThanOrEqual(BOX.padding - 1e-9);
      expect(p.y).toBeLessThanOrEqual(BOX.height - BOX.padding + 1e-9);
    }
    const ys = points.map((p) => p.y);
    // The stations span more latitude than (shrunk) longitude: the height is the limit.
    expect(Math.min(...ys)).toBeCloseTo(BOX.padding);
    expect(Math.max(...ys)).toBeCloseTo(BOX.height - BOX.padding);
    // …and the drawing is centred across.
    const xs = points.map((p) => p.x);
    expect((Math.min(...xs) + Math.max(...xs)) / 2).toBeCloseTo(BOX.width / 2);
  });

  it('keeps the aspect: one scale for both axes, longitude shrunk by cos(mean latitude)', () => {
    const meanLat = STATIONS.reduce((sum, s) => sum + s.lat, 0) / STATIONS.length;
    const k = Math.cos((meanLat * Math.PI) / 180);
    const a = STATIONS[1]; // brugg
    const b = STATIONS[4]; // interlaken
    const pa = project(a);
    const pb = project(b);
    const scaleX = (pa.x - pb.x) / ((a.lon - b.lon) * k);
    const scaleY = (pb.y - pa.y) / (a.lat - b.lat);
    expect(scaleX).toBeCloseTo(scaleY, 6);
  });

  it('puts a single station, or stations on one spot, in the middle', () => {
    const one = fitProjection([{ lat: 46.9, lon: 7.4 }], BOX);
    expect(one({ lat: 46.9, lon: 7.4 })).toEqual({ x: BOX.width / 2, y: BOX.height / 2 });
  });

  it('limits by the width when the stations lie east to west', () => {
    const flat = [
      { lat: 47, lon: 7 },
      { lat: 47.1, lon: 8 },
    ];
    const p = fitProjection(flat, BOX);
    expect(p(flat[0]).x).toBeCloseTo(BOX.padding);
    expect(p(flat[1]).x).toBeCloseTo(BOX.width - BOX.padding);
    expect(p(flat[1]).y).toBeLessThan(p(flat[0]).y);
  });
});

describe('linePath', () => {
  it('draws a path through the points in order', () => {
    expect(
      linePath([
        { x: 1, y: 2 },
        { x: 3.14159, y: 4 },
      ]),
    ).toBe('M1 2 L3.1 4');
    expect(linePath([])).toBe('');
  });
});

describe('placeLabels', () => {
  const overlaps = (a: Rect, b: Rect) =>
    a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

  it('puts a label right of its marker when there is room', () => {
    const [label] = placeLabels([{ x: 50, y: 50 }], [{ width: 40, height: 20 }], BOX, 10);
    expect(label.anchor).toBe('start');
    expect(label.rect).toEqual({ x: 64, y: 40, width: 40, height: 20 });
  });

  it('moves a label left at the right edge of the box', () => {
    const [label] = placeLabels([{ x: 340, y: 50 }], [{ width: 40, height: 20 }], BOX, 10);
    expect(label.anchor).toBe('end');
    expect(label.rect.x + label.rect.width).toBe(326);
  });

  it('keeps the stations labels clear of each other and inside the box', () => {
    const project = fitProjection(STATIONS, BOX);
    const points = upstreamOrder(STATIONS).map(project);
    const sizes = upstreamOrder(STATIONS).map((s) => labelSize([s.city, '18.6 °C'], 12, 14));
    const labels = placeLabels(points, sizes, BOX, 10);
    labels.forEach((a, i) => {
      expect(a.rect.x).toBeGreaterThanOrEqual(0);
      expect(a.rect.x + a.rect.width).toBeLessThanOrEqual(BOX.width);
      labels.slice(i + 1).forEach((b) => expect(overlaps(a.rect, b.rect)).toBe(false));
    });
  });
});

describe('labelSize', () => {
  it('is as wide as the longest line and as tall as the lines', () => {
    expect(labelSize(['Brugg AG', '20.6 °C'], 12, 14)).toEqual({ width: 58, height: 28 });
  });
});
