import { send } from './raw-sessions';

/** `--name value` from the command line, or the fallback. */
export function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

/** One sample of an unlabelled metric from the server's /metrics. */
export async function metric(url: string, name: string): Promise<number> {
  const text = (await send(`${url}/metrics`, 'GET', undefined, {})).body;
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').pop()) : NaN;
}

/** The sum of a metric's samples over all its label values (0 before the first sample). */
export async function metricTotal(url: string, name: string): Promise<number> {
  const text = (await send(`${url}/metrics`, 'GET', undefined, {})).body;
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}
