import { assessDangerLevel, dangerLevelFromFlow, UNKNOWN_DANGER_LABEL } from './danger-level';

describe('dangerLevelFromFlow', () => {
  it.each([
    [0, 1],
    [99.9, 1],
    [100, 2],
    [219, 2],
    [219.99, 2],
    [220, 3],
    [299, 3],
    [300, 4],
    [429.9, 4],
    [430, 5],
    [2000, 5],
  ])('flow %p m³/s → level %p', (flow, level) => {
    expect(dangerLevelFromFlow(flow)).toBe(level);
  });
});

describe('assessDangerLevel', () => {
  it("prefers upstream's flow_gefahrenstufe", () => {
    // Recorded: Bern at 228 m³/s had level 1 upstream while the cut points would say 3.
    expect(assessDangerLevel({ upstreamLevel: 1, flow: 228 })).toEqual({
      level: 1,
      label: 'no or low danger',
      source: 'upstream',
      flow: 228,
    });
  });

  it('computes from flow when upstream has no level', () => {
    expect(assessDangerLevel({ upstreamLevel: null, flow: 228 })).toMatchObject({
      level: 3,
      label: 'considerable danger',
      source: 'computed',
    });
    expect(assessDangerLevel({ flow: 430 })).toMatchObject({ level: 5, source: 'computed' });
  });

  it.each([0, 6, 2.5, Number.NaN])('ignores an invalid upstream level %p', (upstreamLevel) => {
    expect(assessDangerLevel({ upstreamLevel, flow: 50 })).toMatchObject({
      level: 1,
      source: 'computed',
    });
  });

  it.each([null, undefined, Number.NaN, -1, Number.POSITIVE_INFINITY])(
    'says "unknown" plainly for flow %p',
    (flow) => {
      expect(assessDangerLevel({ upstreamLevel: null, flow })).toEqual({
        level: null,
        label: UNKNOWN_DANGER_LABEL,
        source: 'unknown',
        flow: null,
      });
    },
  );

  it('keeps upstream level even without flow', () => {
    expect(assessDangerLevel({ upstreamLevel: 4, flow: null })).toEqual({
      level: 4,
      label: 'high danger',
      source: 'upstream',
      flow: null,
    });
  });
});
