import type { AddressInfo } from 'node:net';

/**
 * The URL a server is bound to, as bound: `http://0.0.0.0:3000` for every IPv4 interface,
 * `http://[::]:3000` for every interface, IPv6 in brackets. (Nest's `getUrl()` names a
 * loopback address instead, which is not what an operator needs to read.)
 */
export function boundUrl(address: AddressInfo | string | null): string {
  if (address === null) return 'http://(not listening)';
  if (typeof address === 'string') return `unix:${address}`;
  const host =
    address.family === 'IPv6' || address.address.includes(':')
      ? `[${address.address}]`
      : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * The start-up line: where the server listens, where clients reach it (`PUBLIC_BASE_URL`, a URL
 * or a path prefix, '' when unset), which upstream.
 */
export function listeningLine(
  address: AddressInfo | string | null,
  publicBaseUrl: string,
  upstream: string,
): string {
  const publicPart = !publicBaseUrl
    ? ''
    : publicBaseUrl.startsWith('/')
      ? ` (public path ${publicBaseUrl})`
      : ` (public URL ${publicBaseUrl})`;
  return `Listening on ${boundUrl(address)}${publicPart}, upstream ${upstream}`;
}
