import type { HistoryReport } from '../../aare/reports.schemas';

export const CSV_MIME = 'text/csv';

export const HISTORY_CSV_HEADER = 'time,timestamp,temperature_celsius,flow_m3s';

/**
 * A history report's two series as CSV (RFC 4180: comma-separated, CRLF line ends, a header
 * row): one row per timestamp, oldest first. The series are sampled independently, so a
 * timestamp one of them lacks, or a gap upstream reported, leaves that cell empty. Every cell is
 * a number or an ISO time, so nothing needs quoting.
 */
export function historyCsv(report: Pick<HistoryReport, 'temperature' | 'flow'>): string {
  const rows = new Map<number, { temperature?: number | null; flow?: number | null }>();
  for (const point of report.temperature.points) {
    rows.set(point.timestamp, { ...rows.get(point.timestamp), temperature: point.value });
  }
  for (const point of report.flow.points) {
    rows.set(point.timestamp, { ...rows.get(point.timestamp), flow: point.value });
  }
  const lines = [...rows.entries()]
    .sort(([a], [b]) => a - b)
    .map(([timestamp, values]) =>
      [isoTime(timestamp), timestamp, cell(values.temperature), cell(values.flow)].join(','),
    );
  return [HISTORY_CSV_HEADER, ...lines].map((line) => `${line}\r\n`).join('');
}

function cell(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : '';
}

function isoTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z');
}
