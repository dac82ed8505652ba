import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { LOG_FLUSH_MS } from './pino-options';
import { PINO_HTTP_OPTIONS } from './logging.tokens';

interface FlushableStream {
  flush(): void;
}

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

  private flush(): void {
    try {
      this.stream?.flush();
    } catch {
      // Not open yet, or already closed at exit: the next flush (or pino's at exit) writes it.
    }
  }
}
