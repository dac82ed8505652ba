import type { HistoryReport } from '../../../aare/reports.schemas';
import { renderHistory } from '../history';
import { startView } from '../view';

startView<HistoryReport>('aareguru-history', renderHistory);
