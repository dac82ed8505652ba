import type { ComparisonReport } from './reports.schemas';
import { comparisonSteps, historyStep, LONG_HISTORY_SECONDS } from './progress-steps';

describe('historyStep', () => {
  const week = { start: 1_700_000_000, end: 1_700_000_000 + LONG_HISTORY_SECONDS };
  const month = { start: 1_700_000_000, end: 1_700_000_000 + 30 * 86_400 };

  it('reports nothing for a range up to a week', () => {
    expect(historyStep('asking', 'bern', week)).toBeNull();
    expect(historyStep('summarised', 'bern', week)).toBeNull();
  });

  it('reports three increasing stages for a longer range', () => {
    const steps = (['asking', 'answered', 'summarised'] as const).map((s) =>
      historyStep(s, 'bern', month),
    );
    expect(steps).toEqual([
      { progress: 1, total: 3, message: 'Asking upstream for 30 days of bern' },
      { progress: 2, total: 3, message: 'Upstream answered 30 days of bern; summarising' },
      { progress: 3, total: 3, message: 'Summarised 30 days of bern' },
    ]);
  });
});

describe('comparisonSteps', () => {
  it('gives one step per city, named, with the city count as total', () => {
    const report = {
      cities: [
        { city: 'thun', name: 'Thun' },
        { city: 'nowhere', name: null },
      ],
    } as unknown as ComparisonReport;
    expect(comparisonSteps(report)).toEqual([
      { progress: 1, total: 2, message: 'Thun: 1 of 2' },
      { progress: 2, total: 2, message: 'nowhere: 2 of 2' },
    ]);
  });
});
