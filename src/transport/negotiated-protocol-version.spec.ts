import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';
import { negotiatedProtocolVersion } from './negotiated-protocol-version';

describe('negotiatedProtocolVersion', () => {
  it.each(['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'])(
    'keeps %s, a version the SDK supports',
    (version) => {
      expect(negotiatedProtocolVersion(version)).toBe(version);
    },
  );

  it.each([['1234-evil'], ['2099-01-01'], ['2026-07-28'], [''], [undefined], [null], [20251125]])(
    'answers the latest version for %p',
    (requested) => {
      expect(negotiatedProtocolVersion(requested)).toBe(LATEST_PROTOCOL_VERSION);
    },
  );

  it('falls back to a version the SDK supports', () => {
    expect(SUPPORTED_PROTOCOL_VERSIONS).toContain(LATEST_PROTOCOL_VERSION);
  });
});
