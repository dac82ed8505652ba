/**
 * Tells the caller how far a long piece of work has got: `progress` out of `total` when the
 * total is known, with a short message for people. Reporting never throws and never waits.
 */
export type ProgressReporter = (progress: number, total?: number, message?: string) => void;

/** For callers that did not ask to be told. */
export const NO_PROGRESS: ProgressReporter = () => undefined;
