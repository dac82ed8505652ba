import { HttpException, Logger } from '@nestjs/common';

export type Probe = 'health' | 'readiness';

/** What a failing check's details say, in a few words: `upstream circuit open`, `redis down`. */
export function probeFailureText(error: unknown): string {
  const body = error instanceof HttpException ? error.getResponse() : undefined;
  const failed = (body as { error?: unknown } | undefined)?.error;
  // Terminus names each failed check under `error`; a check that threw carries only a message.
  if (!isChecks(failed) || Object.keys(failed).length === 0) {
    return error instanceof Error ? error.message : 'check failed';
  }
  return Object.entries(failed)
    .map(([key, details]) => {
      if (key === 'aareguru' && typeof details.circuit === 'string') {
        // A half-open circuit is an open one whose trial is under way: the same outage, one line.
        return `upstream circuit ${details.circuit === 'half-open' ? 'open' : details.circuit}`;
      }
      if (key === 'server' && typeof details.phase === 'string') return details.phase;
      if (typeof details.message === 'string') return `${key}: ${details.message}`;
      return `${key} down`;
    })
    .join(', ');
}

function isChecks(value: unknown): value is Record<string, Record<string, unknown>> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.values(value).every((details) => typeof details === 'object' && details !== null)
  );
}

/**
 * A failing probe is expected operation (upstream away, the server draining), and probes come
 * every few seconds: instead of a line per probe, one line each time a probe's answer changes —
 * a warning when health turns bad, an info line when it is good again. Readiness failing is
 * the server draining or starting, which it says itself, so that is an info line too.
 */
export class ProbeStateLog {
  private readonly failures = new Map<Probe, string>();

  constructor(private readonly logger: Pick<Logger, 'log' | 'warn'> = new Logger('Health')) {}

  passed(probe: Probe): void {
    if (!this.failures.has(probe)) return;
    this.failures.delete(probe);
    this.logger.log(`${probe}: ok again`);
  }

  failed(probe: Probe, failure: string): void {
    if (this.failures.get(probe) === failure) return;
    this.failures.set(probe, failure);
    if (probe === 'health') this.logger.warn(`health: ${failure}`);
    else this.logger.log(`readiness: not ready (${failure})`);
  }
}
