import { closeSync, openSync, readSync } from 'node:fs';

/** The first 64 KB of a file: a long run's log can grow past what fits in a string. */
export function head(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    return buffer.toString('utf8', 0, readSync(fd, buffer, 0, buffer.length, 0));
  } finally {
    closeSync(fd);
  }
}
