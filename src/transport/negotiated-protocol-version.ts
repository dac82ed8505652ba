import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';

/**
 * The protocol version the SDK answers an `initialize` with: the requested one when it supports
 * it, its latest otherwise. Sessions are recorded (and labelled in metrics) with this, never with
 * whatever string the client sent.
 */
export function negotiatedProtocolVersion(requested: unknown): string {
  return typeof requested === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
    ? requested
    : LATEST_PROTOCOL_VERSION;
}
