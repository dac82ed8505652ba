import type { ConditionsReport } from '../../../aare/reports.schemas';
import { renderConditions } from '../conditions';
import { startView } from '../view';

startView<ConditionsReport>('aareguru-conditions', renderConditions);
