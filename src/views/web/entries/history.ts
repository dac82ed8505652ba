import { h } from '../dom';
import { startView } from '../view';

// Placeholder until the view is written.
startView<Record<string, unknown>>('aareguru-history', (report) => [
  h('pre', {}, JSON.stringify(report)),
]);
