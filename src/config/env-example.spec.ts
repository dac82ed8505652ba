import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { configKeys, DEFAULT_CONFIG_DIR, loadConfiguration } from './configuration';

/**
 * .env.example lists every configuration variable with its default, commented out. A variable
 * added to EnvironmentVariables without a line there, or a default changed in only one of the two
 * files, fails here.
 */

const ROOT = join(__dirname, '..', '..');
const text = readFileSync(join(ROOT, '.env.example'), 'utf8');
const defaults = load(readFileSync(join(DEFAULT_CONFIG_DIR, 'default.yaml'), 'utf8')) as Record<
  string,
  unknown
>;
/** Read by the process beside the validated keys. */
const PROCESS_KEYS = ['CONFIG_DIR'];

/** The commented-out assignments, "# KEY=value", in order; value as `docker --env-file` reads it. */
function assignments(): Array<[string, string]> {
  return [...text.matchAll(/^# ([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1], m[2]]);
}

describe('.env.example', () => {
  it('lists every configuration variable once, and nothing else', () => {
    const keys = assignments().map(([key]) => key);
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual([...configKeys(), ...PROCESS_KEYS].sort());
  });

  it("shows each variable's default from config/default.yaml", () => {
    for (const [key, value] of assignments()) {
      const expected = defaults[key] === undefined ? '' : String(defaults[key]);
      expect({ key, value }).toEqual({ key, value: expected });
    }
  });

  it('gives each variable a line of explanation above it', () => {
    const lines = text.split('\n');
    for (const [key] of assignments()) {
      const above = lines[lines.indexOf(lines.find((line) => line.startsWith(`# ${key}=`))!) - 1];
      expect({ key, above }).toEqual({ key, above: expect.stringMatching(/^# \S.*[^=]$/) });
      expect(above).not.toMatch(/^# [A-Z][A-Z0-9_]*=/);
    }
  });

  it('is harmless as it stands and, every line uncommented, gives the defaults', () => {
    // As `docker run --env-file` and `set -a; . ./.env` read it: comments ignored, the rest is
    // KEY=value with every character after "=" (so no quotes and no trailing comments).
    const values = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    expect(values).toEqual([]);
    const uncommented = Object.fromEntries(assignments());
    expect(loadConfiguration(uncommented)).toEqual(loadConfiguration({}));
  });
});
