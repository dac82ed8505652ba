import type { ComparisonReport } from '../../../aare/reports.schemas';
import { renderCompare } from '../compare';
import { startView } from '../view';

startView<ComparisonReport>('aareguru-compare', renderCompare);
