import { trustedProxyCheck } from './trusted-proxy';

describe('trustedProxyCheck', () => {
  it('trusts the addresses, networks and names TRUST_PROXY lists', () => {
    const trusted = trustedProxyCheck(['10.0.0.0/8', '192.168.1.7', 'loopback']);
    for (const address of ['10.1.2.3', '192.168.1.7', '127.0.0.1', '::1', '::ffff:10.9.9.9'])
      expect(trusted(address)).toBe(true);
    for (const address of ['192.168.1.8', '203.0.113.5', 'fd00::1', undefined])
      expect(trusted(address)).toBe(false);
  });

  it('trusts no address for a hop count or no setting: they do not say which peer is the proxy', () => {
    for (const setting of [false, true, 1, 2, [] as string[]])
      expect(trustedProxyCheck(setting)('127.0.0.1')).toBe(false);
  });
});
