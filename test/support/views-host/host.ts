/**
 * The fake MCP Apps host of the browser tests, bundled for the page by esbuild. It uses the
 * official host side (`AppBridge` from @modelcontextprotocol/ext-apps), so the views are checked
 * against the reference implementation of the protocol: it answers the view's `ui/initialize`,
 * then sends the recorded tool input and result, and sizes the frame as the view asks.
 */
import { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';

interface HostConfig {
  viewUrl: string;
  title: string;
  theme: 'light' | 'dark';
  input: Record<string, unknown>;
  result: Record<string, unknown>;
}

const config = JSON.parse(document.getElementById('host-config')!.textContent!) as HostConfig;

const frame = document.createElement('iframe');
// The sandbox MCP Apps hosts use: scripts run, in an opaque origin of their own.
frame.setAttribute('sandbox', 'allow-scripts');
frame.title = config.title;
frame.style.cssText = 'display:block;width:100%;height:120px;border:0';
frame.src = config.viewUrl;
document.body.appendChild(frame);

const bridge = new AppBridge(
  null,
  { name: 'aareguru-test-host', version: '1.0.0' },
  {},
  { hostContext: { theme: config.theme, displayMode: 'inline', platform: 'web', locale: 'en-GB' } },
);
bridge.onsizechange = ({ height }) => {
  if (height) frame.style.height = `${height}px`;
};
bridge.oninitialized = () => {
  document.body.dataset.initialized = 'true';
  void bridge
    .sendToolInput({ arguments: config.input })
    .then(() => bridge.sendToolResult(config.result as never));
};
void bridge.connect(new PostMessageTransport(frame.contentWindow!, frame.contentWindow!));

/** For the tests: the host changes its theme, as a person switching their client to dark. */
(window as unknown as { setHostTheme(theme: 'light' | 'dark'): void }).setHostTheme = (theme) =>
  bridge.setHostContext({ theme, displayMode: 'inline', platform: 'web', locale: 'en-GB' });

/** For the tests: the host sends the view another result, as for a second call of the tool. */
(window as unknown as { sendHostToolResult(result: unknown): Promise<void> }).sendHostToolResult = (
  result,
) => bridge.sendToolResult(result as never);
