import { existsSync } from 'node:fs';

/** Debian's `chromium` package; CHROMIUM_PATH points elsewhere. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/**
 * How the specs start Chromium: as root (no sandbox), without a GPU, and quiet — without the
 * background-networking flags it tries to reach Google's hosts at every start.
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
