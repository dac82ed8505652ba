/** BAFU hydrological danger levels (Gefahrenstufen) 1–5. */
export type DangerLevel = 1 | 2 | 3 | 4 | 5;

export const DANGER_LEVEL_LABELS: Readonly<Record<DangerLevel, string>> = {
  1: 'no or low danger',
  2: 'moderate danger',
  3: 'considerable danger',
  4: 'high danger',
  5: 'very high danger',
};

/**
 * Lower flow bounds (m³/s) at which levels 2–5 start when upstream gives no level. They match
 * Bern's flow scale (`hochwasser!` starts at 430) and are applied to every station alike.
 */
export const FLOW_THRESHOLDS = [
  { level: 2, minFlow: 100 },
  { level: 3, minFlow: 220 },
  { level: 4, minFlow: 300 },
  { level: 5, minFlow: 430 },
] as const satisfies readonly { level: DangerLevel; minFlow: number }[];

export type DangerLevelSource = 'upstream' | 'computed' | 'unknown';

export interface DangerAssessment {
  /** null when neither upstream nor the flow tell. */
  level: DangerLevel | null;
  label: string;
  source: DangerLevelSource;
  flow: number | null;
}

export const UNKNOWN_DANGER_LABEL = 'unknown: no flow data';

function isDangerLevel(value: unknown): value is DangerLevel {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 5;
}

function isUsableFlow(flow: unknown): flow is number {
  return typeof flow === 'number' && Number.isFinite(flow) && flow >= 0;
}

/** The level the flow alone implies (cut points 100 / 220 / 300 / 430 m³/s). */
export function dangerLevelFromFlow(flow: number): DangerLevel {
  let level: DangerLevel = 1;
  for (const threshold of FLOW_THRESHOLDS) {
    if (flow >= threshold.minFlow) level = threshold.level;
  }
  return level;
}

/**
 * Upstream's `flow_gefahrenstufe` wins when it is a valid level; otherwise the level is computed
 * from the flow; with neither, the answer is "unknown" — never a guess.
 */
export function assessDangerLevel(input: {
  upstreamLevel?: number | null;
  flow?: number | null;
}): DangerAssessment {
  const flow = isUsableFlow(input.flow) ? input.flow : null;
  if (isDangerLevel(input.upstreamLevel)) {
    const level = input.upstreamLevel;
    return { level, label: DANGER_LEVEL_LABELS[level], source: 'upstream', flow };
  }
  if (flow !== null) {
    const level = dangerLevelFromFlow(flow);
    return { level, label: DANGER_LEVEL_LABELS[level], source: 'computed', flow };
  }
  return { level: null, label: UNKNOWN_DANGER_LABEL, source: 'unknown', flow: null };
}

const SAFETY_ADVICE: Readonly<Record<DangerLevel, string>> = {
  1: 'Low flow for the Aare. Swimming is possible for good swimmers who know the exits; never swim alone.',
  2: 'Moderate flow: the current is strong. Only experienced Aare swimmers, close to the bank, with known exits.',
  3: 'Considerable danger: fast current and floating debris are likely. Swimming in the river is not advised.',
  4: 'High danger: dangerous current, debris and high water. Stay out of the river and away from the banks.',
  5: 'Very high danger: flood conditions. Do not enter the water; follow the authorities’ warnings.',
};

const UNKNOWN_ADVICE =
  'No flow data for this station, so the danger level is unknown. Judge the river on site and ask locally before swimming.';

/** What a swimmer should take from a level. */
export function safetyAdvice(level: DangerLevel | null): string {
  return level === null ? UNKNOWN_ADVICE : SAFETY_ADVICE[level];
}
