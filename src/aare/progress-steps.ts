import type { HistoryRange } from '../domain/history-dates';
import type { ComparisonReport } from './reports.schemas';

/** One progress report: `progress` of `total`, with a message for people. */
export interface ProgressStep {
  progress: number;
  total: number;
  message: string;
}

/** What a history request is doing: asking upstream, upstream answered, report summarised. */
export type HistoryStage = 'asking' | 'answered' | 'summarised';

const DAY_SECONDS = 86_400;

/**
 * Ranges up to a week (the tool's default) come back from upstream in well under a second (about
 * a thousand 10-minute points); longer ones grow to a year, some 50,000 points and 2 MB, and take
 * seconds. Only those are worth telling the caller about.
 */
export const LONG_HISTORY_SECONDS = 7 * DAY_SECONDS;

export function isLongHistory(range: HistoryRange): boolean {
  return range.end - range.start > LONG_HISTORY_SECONDS;
}

const HISTORY_STEPS: Record<HistoryStage, number> = { asking: 1, answered: 2, summarised: 3 };

/**
 * The step a long history request has reached, or null for a short one. The whole range is one
 * upstream request, so the steps are its stages, not parts of the range.
 */
export function historyStep(
  stage: HistoryStage,
  city: string,
  range: HistoryRange,
): ProgressStep | null {
  if (!isLongHistory(range)) return null;
  const days = Math.round((range.end - range.start) / DAY_SECONDS);
  const messages: Record<HistoryStage, string> = {
    asking: `Asking upstream for ${days} days of ${city}`,
    answered: `Upstream answered ${days} days of ${city}; summarising`,
    summarised: `Summarised ${days} days of ${city}`,
  };
  return { progress: HISTORY_STEPS[stage], total: 3, message: messages[stage] };
}

/** One step per city in the comparison, in the order reported: "Thun: 3 of 8". */
export function comparisonSteps(report: ComparisonReport): ProgressStep[] {
  const total = report.cities.length;
  return report.cities.map((entry, index) => ({
    progress: index + 1,
    total,
    message: `${entry.name ?? entry.city}: ${index + 1} of ${total}`,
  }));
}
