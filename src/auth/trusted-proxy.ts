import proxyaddr from 'proxy-addr';

/**
 * Whether a connection comes from a proxy TRUST_PROXY names by address (the names loopback,
 * linklocal and uniquelocal included, as Express reads them). A hop count or no setting trusts no
 * address: they say how many proxies there are, not which connections are theirs.
 */
export function trustedProxyCheck(
  trustProxy: boolean | number | string[],
): (address: string | undefined) => boolean {
  if (!Array.isArray(trustProxy) || trustProxy.length === 0) return () => false;
  const trust = proxyaddr.compile(trustProxy);
  return (address) => address !== undefined && trust(address, 0);
}
