import { ServiceUnavailableException } from '@nestjs/common';
import { probeFailureText, ProbeStateLog } from './probe-state-log';

function terminusFailure(error: Record<string, Record<string, unknown>>) {
  return new ServiceUnavailableException({ status: 'error', info: {}, error, details: error });
}

describe('probeFailureText', () => {
  it('names what failed in a few words', () => {
    expect(
      probeFailureText(
        terminusFailure({ aareguru: { status: 'down', circuit: 'open', lastFailure: 'x' } }),
      ),
    ).toBe('upstream circuit open');
    expect(
      probeFailureText(
        terminusFailure({
          aareguru: { status: 'down', circuit: 'open' },
          redis: { status: 'down', connected: false, error: 'ECONNREFUSED' },
        }),
      ),
    ).toBe('upstream circuit open, redis down');
    expect(
      probeFailureText(terminusFailure({ server: { status: 'down', phase: 'draining' } })),
    ).toBe('draining');
    expect(probeFailureText(new ServiceUnavailableException('redis check timed out'))).toBe(
      'redis check timed out',
    );
  });
});

describe('ProbeStateLog during an outage whose trials fail', () => {
  it('stays at one warning while the circuit goes open, half-open (a trial), open again', () => {
    const lines: string[] = [];
    const log = new ProbeStateLog({
      log: (message: string) => void lines.push(message),
      warn: (message: string) => void lines.push(message),
    });
    for (const circuit of ['open', 'half-open', 'open', 'half-open', 'open']) {
      log.failed(
        'health',
        probeFailureText(terminusFailure({ aareguru: { status: 'down', circuit } })),
      );
    }
    expect(lines).toEqual(['health: upstream circuit open']);
  });
});

describe('ProbeStateLog', () => {
  let lines: { level: string; message: string }[];
  let log: ProbeStateLog;

  beforeEach(() => {
    lines = [];
    log = new ProbeStateLog({
      log: (message: string) => void lines.push({ level: 'info', message }),
      warn: (message: string) => void lines.push({ level: 'warn', message }),
    });
  });

  it('says nothing while probes pass', () => {
    for (let i = 0; i < 5; i += 1) log.passed('health');
    expect(lines).toEqual([]);
  });

  it('logs one warning when health turns bad, however many probes fail, and one line when it recovers', () => {
    for (let i = 0; i < 5; i += 1) log.failed('health', 'upstream circuit open');
    log.passed('health');
    log.passed('health');
    expect(lines).toEqual([
      { level: 'warn', message: 'health: upstream circuit open' },
      { level: 'info', message: 'health: ok again' },
    ]);
  });

  it('logs again when what fails changes', () => {
    log.failed('health', 'upstream circuit open');
    log.failed('health', 'upstream circuit open, redis down');
    log.failed('health', 'upstream circuit open, redis down');
    expect(lines.map((line) => line.message)).toEqual([
      'health: upstream circuit open',
      'health: upstream circuit open, redis down',
    ]);
  });

  it('keeps readiness apart, at info: draining is what the server was told to do', () => {
    log.failed('health', 'upstream circuit open');
    log.failed('readiness', 'draining');
    log.failed('readiness', 'draining');
    expect(lines).toEqual([
      { level: 'warn', message: 'health: upstream circuit open' },
      { level: 'info', message: 'readiness: not ready (draining)' },
    ]);
  });
});
