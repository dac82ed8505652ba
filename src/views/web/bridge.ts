/**
 * The view's side of the MCP Apps protocol (io.modelcontextprotocol/ui, 2026-01-26): JSON-RPC 2.0
 * over `postMessage` with the host window. A view only needs a handful of its messages — it says
 * hello (`ui/initialize`), hears the tool's input and result, follows the host's theme, and tells
 * the host how tall it is — so they are spoken here directly: the official `App` class would add
 * some 600 KB (the SDK client and zod) to every view for the same handful.
 */

export const APPS_PROTOCOL_VERSION = '2026-01-26';

export type Theme = 'light' | 'dark';

export interface ToolResultMessage {
  content?: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

export interface HostContext {
  theme?: Theme;
  styles?: { variables?: Record<string, string | undefined> };
}

export interface ViewHandlers {
  /** The host refused the view's hello: nothing will come. */
  onRefused?(message: string): void;
  /** The arguments the tool was called with, before its result arrives. */
  onInput?(args: Record<string, unknown>): void;
  onResult(result: ToolResultMessage): void;
  /** The call was cancelled or failed before it had a result. */
  onCancelled?(reason: string | undefined): void;
}

interface RpcMessage {
  jsonrpc: '2.0';
  id?: number | string;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

const METHOD_NOT_FOUND = -32601;

/** Connects the view to its host. Messages from anything but the parent window are ignored. */
export function connectView(name: string, handlers: ViewHandlers): void {
  const host = window.parent;
  let nextId = 1;
  const pending = new Map<number, (message: RpcMessage) => void>();
  const post = (message: RpcMessage) => host.postMessage(message, '*');
  const request = (method: string, params: Record<string, unknown>) =>
    new Promise<RpcMessage>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      post({ jsonrpc: '2.0', id, method, params });
    });
  const notify = (method: string, params: Record<string, unknown> = {}) =>
    post({ jsonrpc: '2.0', method, params });

  window.addEventListener('message', (event: MessageEvent) => {
    if (event.source !== host) return;
    const message = event.data as RpcMessage;
    if (!message || message.jsonrpc !== '2.0') return;
    if (message.method === undefined) {
      if (typeof message.id === 'number') pending.get(message.id)?.(message);
      if (typeof message.id === 'number') pending.delete(message.id);
      return;
    }
    const params = message.params ?? {};
    if (message.id !== undefined) {
      // Requests from the host: liveness and teardown need only an empty answer.
      const known = message.method === 'ping' || message.method === 'ui/resource-teardown';
      post(
        known
          ? { jsonrpc: '2.0', id: message.id, result: {} }
          : {
              jsonrpc: '2.0',
              id: message.id,
              error: { code: METHOD_NOT_FOUND, message: `Unknown method ${message.method}` },
            },
      );
      return;
    }
    switch (message.method) {
      case 'ui/notifications/tool-input':
        handlers.onInput?.((params.arguments as Record<string, unknown>) ?? {});
        break;
      case 'ui/notifications/tool-result':
        handlers.onResult(params as ToolResultMessage);
        break;
      case 'ui/notifications/tool-cancelled':
        handlers.onCancelled?.(typeof params.reason === 'string' ? params.reason : undefined);
        break;
      case 'ui/notifications/host-context-changed':
        applyHostContext(params as HostContext);
        break;
    }
  });

  void request('ui/initialize', {
    appInfo: { name, version: '1' },
    appCapabilities: { availableDisplayModes: ['inline'] },
    protocolVersion: APPS_PROTOCOL_VERSION,
  }).then((answer) => {
    if (answer.error) {
      handlers.onRefused?.(answer.error.message);
      return;
    }
    applyHostContext((answer.result?.hostContext as HostContext) ?? {});
    notify('ui/notifications/initialized');
    reportSize(notify);
  });
}

/** The host's theme and style variables; without them the browser's colour scheme applies. */
export function applyHostContext(context: HostContext): void {
  const root = document.documentElement;
  if (context.theme === 'light' || context.theme === 'dark') {
    root.dataset.theme = context.theme;
    // Scroll bars and other parts the browser draws follow the host's theme too.
    root.style.colorScheme = context.theme;
  }
  for (const [name, value] of Object.entries(context.styles?.variables ?? {})) {
    if (name.startsWith('--') && typeof value === 'string') root.style.setProperty(name, value);
  }
}

/**
 * Tells the host the view's size whenever it changes, so no inner scroll bar is needed. The
 * content's own height (the body's box), not the document's scroll height: that one never drops
 * below the frame's height, so a view could grow but never shrink back.
 */
function reportSize(notify: (method: string, params: Record<string, unknown>) => void): void {
  let last = '';
  const send = () => {
    const width = Math.ceil(window.innerWidth);
    const height = Math.ceil(document.body.getBoundingClientRect().height);
    const key = `${width}x${height}`;
    if (key === last) return;
    last = key;
    notify('ui/notifications/size-changed', { width, height });
  };
  const observer = new ResizeObserver(send);
  observer.observe(document.documentElement);
  observer.observe(document.body);
  send();
}
