import { DANGER_LEVEL_LABELS, type DangerLevel, FLOW_THRESHOLDS } from '../../domain/danger-level';

/**
 * The BAFU 1–5 scale as the views draw it: each level's colour (BAFU's own green-to-dark-red
 * sequence), a text colour with enough contrast on it, its label and the flow it starts at.
 */
export interface ScaleStep {
  level: DangerLevel;
  label: string;
  fill: string;
  ink: string;
  /** m³/s from which the level starts when it is computed from the flow (level 1: 0). */
  minFlow: number;
}

const FILLS: Record<DangerLevel, [fill: string, ink: string]> = {
  1: ['#c8e6a0', '#1b2a0c'],
  2: ['#ffe24d', '#2b2300'],
  3: ['#ff9e2c', '#2b1500'],
  4: ['#e0301e', '#ffffff'],
  5: ['#8e0a1a', '#ffffff'],
};

export const DANGER_SCALE: readonly ScaleStep[] = ([1, 2, 3, 4, 5] as DangerLevel[]).map(
  (level) => ({
    level,
    label: DANGER_LEVEL_LABELS[level],
    fill: FILLS[level][0],
    ink: FILLS[level][1],
    minFlow: FLOW_THRESHOLDS.find((t) => t.level === level)?.minFlow ?? 0,
  }),
);

/** The step of a level, or null for an unknown level. */
export function scaleStep(level: number | null | undefined): ScaleStep | null {
  return DANGER_SCALE.find((step) => step.level === level) ?? null;
}
