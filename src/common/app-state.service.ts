import { Injectable, OnApplicationBootstrap } from '@nestjs/common';

/**
 * Where the process is in its life: starting (not ready), serving, or draining after SIGTERM.
 * Readiness and session admission read it; bootstrap and main.ts move it along.
 */
@Injectable()
export class AppStateService implements OnApplicationBootstrap {
  private phase: 'starting' | 'serving' | 'draining' = 'starting';

  get ready(): boolean {
    return this.phase === 'serving';
  }

  get draining(): boolean {
    return this.phase === 'draining';
  }

  /** Every module is initialised: the server can take traffic as soon as it listens. */
  onApplicationBootstrap(): void {
    this.markServing();
  }

  markServing(): void {
    if (this.phase === 'starting') this.phase = 'serving';
  }

  beginDrain(): void {
    this.phase = 'draining';
  }
}
