/**
 * The compare view's schematic map, free of the DOM: the stations' order along the Aare, an
 * equirectangular projection fitted into a box, the river's path and where the labels go.
 */

/** The stations aare.guru knows, from the Brienzersee down to Brugg. */
export const UPSTREAM_ORDER: readonly string[] = [
  'brienz',
  'interlaken',
  'thun',
  'bern',
  'hagneck',
  'biel',
  'olten',
  'brugg',
];

export interface LatLon {
  lat: number;
  lon: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface Box {
  width: number;
  height: number;
  padding: number;
}

/** A position when both coordinates are finite numbers, else null. */
export function position(
  coordinates: { lat: number | null; lon: number | null } | null | undefined,
): LatLon | null {
  if (!coordinates) return null;
  const { lat, lon } = coordinates;
  return typeof lat === 'number' &&
    Number.isFinite(lat) &&
    typeof lon === 'number' &&
    Number.isFinite(lon)
    ? { lat, lon }
    : null;
}

/**
 * Stations in the order the Aare passes them: the known ones by UPSTREAM_ORDER, then any others
 * by longitude (west to east). Equal stations keep their order.
 */
export function upstreamOrder<T extends { city: string; lon: number }>(
  stations: readonly T[],
): T[] {
  const rank = (station: T) => {
    const index = UPSTREAM_ORDER.indexOf(station.city);
    return index === -1 ? UPSTREAM_ORDER.length : index;
  };
  return stations
    .map((station, index) => ({ station, index }))
    .sort(
      (a, b) =>
        rank(a.station) - rank(b.station) ||
        (rank(a.station) === UPSTREAM_ORDER.length ? a.station.lon - b.station.lon : 0) ||
        a.index - b.index,
    )
    .map((entry) => entry.station);
}

/**
 * An equirectangular projection of the points fitted into the box inside its padding: north up,
 * east right, longitude shrunk by the cosine of the mean latitude, one scale for both axes (so
 * distances keep their proportions) and the drawing centred. A single point (or none) sits in the
 * middle.
 */
export function fitProjection(points: readonly LatLon[], box: Box): (p: LatLon) => Point {
  const meanLat = points.length ? points.reduce((sum, p) => sum + p.lat, 0) / points.length : 0;
  const k = Math.cos((meanLat * Math.PI) / 180);
  const xs = points.map((p) => p.lon * k);
  const ys = points.map((p) => p.lat);
  const minX = Math.min(...xs);
  const maxX = Math.max(...xs);
  const minY = Math.min(...ys);
  const maxY = Math.max(...ys);
  const innerWidth = box.width - 2 * box.padding;
  const innerHeight = box.height - 2 * box.padding;
  const spanX = points.length ? maxX - minX : 0;
  const spanY = points.length ? maxY - minY : 0;
  const scale = Math.min(
    spanX > 0 ? innerWidth / spanX : Infinity,
    spanY > 0 ? innerHeight / spanY : Infinity,
  );
  const s = Number.isFinite(scale) ? scale : 0;
  const centreX = points.length ? (minX + maxX) / 2 : 0;
  const centreY = points.length ? (minY + maxY) / 2 : 0;
  return (p) => ({
    x: box.width / 2 + (p.lon * k - centreX) * s,
    y: box.height / 2 - (p.lat - centreY) * s,
  });
}

/** An SVG path through the points in order ("M x y L x y …"), rounded to tenths. */
export function linePath(points: readonly Point[]): string {
  const r = (n: number) => String(Math.round(n * 10) / 10);
  return points.map((p, i) => `${i ? 'L' : 'M'}${r(p.x)} ${r(p.y)}`).join(' ');
}

export interface Size {
  width: number;
  height: number;
}

export interface Rect extends Size {
  x: number;
  y: number;
}

export type Anchor = 'start' | 'middle' | 'end';

export interface PlacedLabel {
  /** The box the label takes. */
  rect: Rect;
  /** Where its text is anchored horizontally, and how. */
  x: number;
  anchor: Anchor;
}

/** A label's likely size: system fonts average about 0.6 em a character. */
export function labelSize(lines: readonly string[], fontSize: number, lineHeight: number): Size {
  const longest = Math.max(0, ...lines.map((line) => line.length));
  return { width: Math.ceil(longest * fontSize * 0.6), height: lines.length * lineHeight };
}

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

function outside(rect: Rect, box: Size): number {
  const inside = overlap(rect, { x: 0, y: 0, width: box.width, height: box.height });
  return rect.width * rect.height - inside;
}

/**
 * Places a label beside each point (a marker of the given radius): right, left, above or below,
 * whichever first stays inside the box and clear of the markers and the labels placed before it;
 * when none is clear, the one that overlaps least.
 */
export function placeLabels(
  points: readonly Point[],
  sizes: readonly Size[],
  box: Size,
  radius: number,
  gap = 4,
): PlacedLabel[] {
  const markers: Rect[] = points.map((p) => ({
    x: p.x - radius,
    y: p.y - radius,
    width: 2 * radius,
    height: 2 * radius,
  }));
  const placed: PlacedLabel[] = [];
  points.forEach((p, i) => {
    const { width, height } = sizes[i];
    const candidates: PlacedLabel[] = [
      {
        rect: { x: p.x + radius + gap, y: p.y - height / 2, width, height },
        x: p.x + radius + gap,
        anchor: 'start',
      },
      {
        rect: { x: p.x - radius - gap - width, y: p.y - height / 2, width, height },
        x: p.x - radius - gap,
        anchor: 'end',
      },
      {
        rect: { x: p.x - width / 2, y: p.y - radius - gap - height, width, height },
        x: p.x,
        anchor: 'middle',
      },
      {
        rect: { x: p.x - width / 2, y: p.y + radius + gap, width, height },
        x: p.x,
        anchor: 'middle',
      },
    ];
    const cost = (candidate: PlacedLabel) =>
      outside(candidate.rect, box) * 4 +
      markers.reduce((sum, marker) => sum + overlap(candidate.rect, marker), 0) * 2 +
      placed.reduce((sum, label) => sum + overlap(candidate.rect, label.rect), 0);
    let best = candidates[0];
    let bestCost = Infinity;
    for (const candidate of candidates) {
      const c = cost(candidate);
      if (c < bestCost) {
        best = candidate;
        bestCost = c;
      }
      if (c === 0) break;
    }
    placed.push(best);
  });
  return placed;
}
