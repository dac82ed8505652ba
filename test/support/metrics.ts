import request from 'supertest';

/**
 * One scrape of /metrics. Every app in a test process records into prom-client's global registry,
 * so tests compare two scrapes (the difference is what their app did) rather than read totals.
 */
export class MetricsScrape {
  constructor(readonly text: string) {}

  /** The sum of a metric's series whose labels include `labels`; 0 when there is none. */
  value(name: string, labels: Record<string, string> = {}): number {
    let sum = 0;
    for (const line of this.text.split('\n')) {
      const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!sample || sample[1] !== name) continue;
      const present = Object.fromEntries(
        [...(sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
      );
      if (Object.entries(labels).every(([label, value]) => present[label] === value)) {
        sum += Number(sample[3]);
      }
    }
    return sum;
  }

  /** How much a metric's matching series grew since an earlier scrape. */
  since(earlier: MetricsScrape, name: string, labels: Record<string, string> = {}): number {
    return this.value(name, labels) - earlier.value(name, labels);
  }
}

export async function scrapeMetrics(url: string): Promise<MetricsScrape> {
  const response = await request(url).get('/metrics').expect(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain/);
  return new MetricsScrape(response.text);
}
