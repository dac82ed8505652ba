import { Injectable } from '@nestjs/common';

/**
 * Where the process is in its life: starting (not ready), serving, or draining after SIGTERM.
 * Readiness and session admission read it; main.ts moves it along.
 */
@Injectable()
export class AppStateService {
  private phase: 'starting' | 'serving' | 'draining' = 'starting';

  get ready(): boolean {
    return this.phase === 'serving';
  }

  get draining(): boolean {
    return this.phase === 'draining';
  }

  markServing(): void {
    if (this.phase === 'starting') this.phase = 'serving';
  }

  beginDrain(): void {
    this.phase = 'draining';
  }
}
