import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { LOG_FLUSH_MS } from './pino-options';
import { PINO_HTTP_OPTIONS } from './logging.tokens';

interface FlushableStream {
  flush(done?: (error?: Error) => void): void;
}

/** How long the last lines may take to reach the output before the process exits anyway. */
const DRAIN_WAIT_MS = 2000;

/** Writes buffered log lines out every `LOG_FLUSH_MS`, and once more at shutdown. */
@Injectable()
export class LogFlusher implements OnModuleInit, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private readonly stream?: FlushableStream;

  constructor(@Inject(PINO_HTTP_OPTIONS) options: { stream?: unknown }) {
    const stream = options.stream as Partial<FlushableStream> | undefined;
    // The pretty format writes through a transport of its own: nothing buffered here.
    if (typeof stream?.flush === 'function') this.stream = stream as FlushableStream;
  }

  onModuleInit(): void {
    if (!this.stream) return;
    this.timer = setInterval(() => this.flush(), LOG_FLUSH_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.flush();
  }

  /**
   * Resolves once every line logged so far has been written. The process exits only after
   * this: pino's own flush at exit writes what is buffered but not a write still under way,
   * which would land after it — out of order, or lost.
   */
  drained(): Promise<void> {
    const stream = this.stream;
    if (!stream) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, DRAIN_WAIT_MS);
      timer.unref();
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      try {
        stream.flush(done);
      } catch {
        done();
      }
    });
  }

  private flush(): void {
    try {
      this.stream?.flush();
    } catch {
      // Not open yet, or already closed at exit: the next flush (or pino's at exit) writes it.
    }
  }
}
