import { FLOW_THRESHOLDS } from '../../domain/danger-level';
import { DANGER_SCALE, scaleStep } from './danger-scale';

/** WCAG relative luminance of a #rrggbb colour. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

describe('the BAFU scale as the views draw it', () => {
  it('has the five levels with the thresholds the server computes levels from', () => {
    expect(DANGER_SCALE.map((s) => s.level)).toEqual([1, 2, 3, 4, 5]);
    expect(DANGER_SCALE.map((s) => s.minFlow)).toEqual([
      0,
      ...FLOW_THRESHOLDS.map((t) => t.minFlow),
    ]);
    expect(DANGER_SCALE[3].label).toBe('high danger');
  });

  it('writes each level in a colour readable on its fill (WCAG AA, 4.5:1)', () => {
    for (const step of DANGER_SCALE)
      expect(contrast(step.fill, step.ink)).toBeGreaterThanOrEqual(4.5);
  });

  it('finds a level, and nothing for an unknown one', () => {
    expect(scaleStep(3)?.label).toBe('considerable danger');
    expect(scaleStep(null)).toBeNull();
    expect(scaleStep(7)).toBeNull();
  });
});
