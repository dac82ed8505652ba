import {
  createServer,
  get,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpConfig } from '../config/configuration.types';
import type { McpServerSource } from '../mcp/mcp.tokens';
import type { SessionLifecycleService } from '../sessions/session-lifecycle.service';
import { MemorySessionEventLog } from '../events/memory-session-event-log';
import { SseService } from './sse.service';
import { eventually } from '../../test/support/eventually';

/** Resolves when `condition` holds, polling; fails after 2 s. */

describe('SseService', () => {
  let server: Server;

  afterEach(async () => {
    jest.restoreAllMocks();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('gives the admission back when the client leaves while it is being admitted', async () => {
    let admitted!: (refusal: null) => void;
    const lifecycle = {
      shared: true,
      admit: jest.fn(() => new Promise((resolve) => (admitted = resolve))),
      abandon: jest.fn(),
      open: jest.fn(() => ({ close: jest.fn() })),
      serverFor: jest.fn(() => ({ start: jest.fn() })),
    };
    const service = new SseService(
      {} as McpServerSource,
      lifecycle as unknown as SessionLifecycleService,
      { publicBasePath: '', sseHeartbeatSeconds: 15 } as McpConfig,
      new MemorySessionEventLog({ maxEvents: 10, maxBytes: 10_000 }),
    );
    let opening: Promise<void> | undefined;
    let serverSideClosed = false;
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      res.once('close', () => (serverSideClosed = true));
      opening = service.open(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const timers = jest.spyOn(global, 'setInterval');

    const request = get(`http://127.0.0.1:${port}/sse`).on('error', () => undefined);
    await eventually(() => lifecycle.admit.mock.calls.length === 1, 2000);
    request.destroy();
    await eventually(() => serverSideClosed, 2000);
    admitted(null);
    await opening;

    const [id] = lifecycle.admit.mock.calls[0] as unknown as [string];
    expect(lifecycle.abandon).toHaveBeenCalledWith(id, 'anonymous');
    expect(lifecycle.open).not.toHaveBeenCalled();
    expect(timers).not.toHaveBeenCalled();
  });
});
