import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  PROTOCOL_VERSION_META_KEY,
} from '@modelcontextprotocol/server';
import http from 'node:http';
import { ACCEPT_BOTH } from './mcp-messages';

const MODERN = '2026-07-28';

/** A 2026-07-28 `subscriptions/listen` request, as a client sends it. */
export const LISTEN_MESSAGE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'subscriptions/listen',
  params: {
    notifications: { toolsListChanged: true },
    _meta: {
      [PROTOCOL_VERSION_META_KEY]: MODERN,
      [CLIENT_INFO_META_KEY]: { name: 'listener', version: '1.0.0' },
      [CLIENT_CAPABILITIES_META_KEY]: {},
    },
  },
};

/** A `subscriptions/listen` POST, held open as a real client holds it. */
export interface Listening {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body so far: the acknowledgement first, for an accepted stream. */
  received(): string;
  /** Resolves when the server ends the response. */
  ended: Promise<void>;
  /** The client goes away. */
  disconnect(): void;
}

/** Resolves once the stream is acknowledged (200) or the refusal has been read in full. */
export function openListenStream(url: string, apiKey: string): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL('/mcp', url), {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: ACCEPT_BOTH,
        'X-API-Key': apiKey,
        'Mcp-Protocol-Version': MODERN,
        'Mcp-Method': 'subscriptions/listen',
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      const ended = new Promise<void>((done) => res.on('end', done).on('close', done));
      const listening: Listening = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        received: () => text,
        ended,
        disconnect: () => req.destroy(),
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (listening.status === 200 && text.includes('\n\n')) resolve(listening);
      });
      res.on('error', () => undefined);
      if (listening.status !== 200) void ended.then(() => resolve(listening));
    });
    req.end(JSON.stringify(LISTEN_MESSAGE));
  });
}
