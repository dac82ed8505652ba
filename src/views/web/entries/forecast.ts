import type { ForecastReport } from '../../../aare/reports.schemas';
import { renderForecast } from '../forecast';
import { startView } from '../view';

startView<ForecastReport>('aareguru-forecast', renderForecast);
