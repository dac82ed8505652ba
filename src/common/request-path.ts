/** The path of a request URL, without its query. */
export function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** A query parameter of a request URL (`/messages?sessionId=…`), or undefined. */
export function queryParam(url: string | undefined, name: string): string | undefined {
  const query = url?.indexOf('?') ?? -1;
  if (query < 0) return undefined;
  return new URLSearchParams(url!.slice(query + 1)).get(name) ?? undefined;
}

/** Query parameters whose values are secrets when a client puts its key in the URL. */
const SECRET_QUERY = /([?&](?:api[_-]?key|key|token|access[_-]?token)=)[^&#]*/gi;

/** A request URL fit for a log line: a key sent in the query string is never written down. */
export function redactUrl(url: string | undefined): string | undefined {
  if (!url || !url.includes('=')) return url;
  return url.replace(SECRET_QUERY, '$1[redacted]');
}
