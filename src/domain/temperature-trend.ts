/** Where a series is heading; the report schemas list these same values. */
export const TRENDS = ['rising', 'falling', 'stable', 'unknown'] as const;
export type Trend = (typeof TRENDS)[number];

/** Changes within ±0.3 °C are measurement noise, not a trend. */
export const STABLE_BAND_CELSIUS = 0.3;

/** Trend from the current water temperature and upstream's 2-hour forecast. */
export function temperatureTrend(
  current: number | null | undefined,
  forecast2h: number | null | undefined,
): Trend {
  if (typeof current !== 'number' || typeof forecast2h !== 'number') return 'unknown';
  if (!Number.isFinite(current) || !Number.isFinite(forecast2h)) return 'unknown';
  // Round to hundredths so 12.7 - 12.4 (0.2999…) and 12.4 - 12.1 (0.3000…1) both count as 0.3.
  const delta = Math.round((forecast2h - current) * 100) / 100;
  if (delta > STABLE_BAND_CELSIUS) return 'rising';
  if (delta < -STABLE_BAND_CELSIUS) return 'falling';
  return 'stable';
}
