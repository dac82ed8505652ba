import { connectView, type ToolResultMessage } from './bridge';
import { h } from './dom';
import { swissDateTime } from './format';

/** Where the data came from and how fresh it is: every report carries this. */
export interface Freshness {
  stale: boolean;
  ageSeconds: number;
  fetchedAt: string;
  attribution: string;
}

/**
 * Starts a view: shows a waiting line until the tool's result comes, then the view's rendering of
 * its structured content. A failed call shows the tool's own message; a result without structured
 * content (a client that strips it) shows the text, which is complete on its own.
 */
export function startView<T>(name: string, render: (report: T) => (Node | string)[]): void {
  const root = document.getElementById('app')!;
  // `data-state` on the body says what the view shows: waiting, ready, error or cancelled.
  const show = (state: string, ...nodes: (Node | string)[]) => {
    root.replaceChildren(...nodes);
    document.body.dataset.state = state;
  };
  connectView(name, {
    onInput: () => show('waiting', h('p', { class: 'muted', role: 'status' }, 'Asking aare.guru…')),
    onResult: (result: ToolResultMessage) => {
      const text = (result.content ?? [])
        .filter((block) => block.type === 'text')
        .map((block) => block.text ?? '')
        .join('\n');
      if (result.isError) {
        show('error', h('div', { class: 'error', role: 'alert' }, text || 'The tool call failed.'));
      } else if (result.structuredContent) {
        try {
          show('ready', ...render(result.structuredContent as T));
        } catch (error) {
          // Data of a shape this view does not know (a newer server): the text still answers.
          console.error('The view could not show this result:', error);
          show('ready', h('pre', {}, text));
        }
      } else {
        show('ready', h('pre', {}, text));
      }
    },
    onRefused: (message) =>
      show(
        'error',
        h('div', { class: 'error', role: 'alert' }, `The host refused the view: ${message}`),
      ),
    onCancelled: (reason) =>
      show(
        'cancelled',
        h('p', { class: 'muted' }, `The call was cancelled${reason ? `: ${reason}` : ''}.`),
      ),
  });
}

/** A notice when upstream is failing and an earlier answer is shown. */
export function staleNotice(source: Freshness): Node | null {
  return source.stale
    ? h(
        'div',
        { class: 'stale', role: 'status' },
        `aare.guru is not answering: these are the last data received (${swissDateTime(source.fetchedAt)}).`,
      )
    : null;
}

/** The attribution every view ends with. */
export function sourceFooter(source: Freshness): Node {
  return h(
    'footer',
    {},
    source.attribution,
    ' ',
    h('span', {}, `Fetched ${swissDateTime(source.fetchedAt)} (Swiss time).`),
  );
}
