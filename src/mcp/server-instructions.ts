import { FLOW_THRESHOLDS } from '../domain/danger-level';

const thresholds = FLOW_THRESHOLDS.map((t) => `level ${t.level} from ${t.minFlow} m³/s`).join(', ');

/** What the model is told about this server when it connects. */
export const SERVER_INSTRUCTIONS = [
  'Live data about the Aare river in Switzerland from aare.guru: water temperature, flow and BAFU flow danger levels, weather, forecasts and history for the cities aare.guru measures (Brienz to Brugg; list_cities gives the ids).',
  'Start with get_current_conditions for a full picture of one city, get_current_temperature for a quick answer, compare_cities to find the best place, get_flow_danger_level before recommending a swim, get_forecast for the coming hours and days, get_historical_data for trends.',
  `BAFU danger levels go from 1 (no or low danger) to 5 (very high danger). aare.guru reports BAFU's own level per station; where it does not, the level is computed from the flow: ${thresholds}. At level 3 or higher, advise against swimming in the river.`,
  'Texts such as "Uschaflig chaut" are Bernese Swiss German from aare.guru; results include an English reading where one is known. Quote them and explain them.',
  'Results say when data is stale (upstream unavailable). Always credit aare.guru and BAFU as sources.',
  'Views (MCP Apps): get_current_conditions, get_historical_data, compare_cities and get_forecast come with an interactive view of their result (the conditions with the BAFU scale, temperature and flow charts, a sortable table with a map of the stations, the forecast), which clients that support MCP Apps show beside your answer. Prefer these tools when the person would rather see the river than read numbers: "show me", "how has it been this week", "where is it warmest", "what is coming". Still give the key numbers in your answer, as not every client shows views; where one is shown, there is no need to repeat everything in it. Every result has a complete text as well.',
].join('\n\n');
