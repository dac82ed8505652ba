import { Module } from '@nestjs/common';
import { AareModule } from '../aare/aare.module';
import { AareguruModule } from '../aareguru/aareguru.module';
import { CityCompletionService } from './city-completion.service';
import { ConfirmationsService } from './confirmations.service';
import { McpServerFactory } from './mcp-server.factory';
import { MCP_METRICS } from './mcp.metrics';
import { MCP_PROMPTS, MCP_RESOURCES, MCP_SERVER_FACTORY, MCP_TOOLS } from './mcp.tokens';
import {
  CompareSwimmingSpotsPrompt,
  DailySwimmingReportPrompt,
  WeeklyTrendAnalysisPrompt,
} from './prompts/aare.prompts';
import { HistoryResources } from './resources/history.resource';
import { SafetyLevelsResource } from './resources/safety-levels.resource';
import { CityTemplateResources, StaticUpstreamResources } from './resources/upstream.resources';
import { CompareCitiesTool } from './tools/compare-cities.tool';
import { GetCurrentConditionsTool } from './tools/get-current-conditions.tool';
import { GetCurrentTemperatureTool } from './tools/get-current-temperature.tool';
import { GetFlowDangerLevelTool } from './tools/get-flow-danger-level.tool';
import { GetForecastTool } from './tools/get-forecast.tool';
import { GetHistoricalDataTool } from './tools/get-historical-data.tool';
import { ListCitiesTool } from './tools/list-cities.tool';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { ViewResources } from '../views/view.resources';
import { ViewsModule } from '../views/views.module';

const TOOLS = [
  GetCurrentTemperatureTool,
  GetCurrentConditionsTool,
  ListCitiesTool,
  GetFlowDangerLevelTool,
  GetHistoricalDataTool,
  CompareCitiesTool,
  GetForecastTool,
];
// ViewResources comes from ViewsModule; the others are provided here.
const RESOURCES = [
  StaticUpstreamResources,
  CityTemplateResources,
  SafetyLevelsResource,
  HistoryResources,
  ViewResources,
];
const PROMPTS = [DailySwimmingReportPrompt, CompareSwimmingSpotsPrompt, WeeklyTrendAnalysisPrompt];

function collect(token: symbol, classes: readonly (new (...args: never[]) => unknown)[]) {
  return { provide: token, useFactory: (...items: unknown[]) => items, inject: [...classes] };
}

/** The MCP surface: tools, resources and prompts, and the factory that puts them on a server. */
@Module({
  imports: [AareguruModule, AareModule, SubscriptionsModule, ViewsModule],
  providers: [
    ...TOOLS,
    ...RESOURCES.filter((resource) => resource !== ViewResources),
    ...PROMPTS,
    CityCompletionService,
    ConfirmationsService,
    ...MCP_METRICS,
    collect(MCP_TOOLS, TOOLS),
    collect(MCP_RESOURCES, RESOURCES),
    collect(MCP_PROMPTS, PROMPTS),
    McpServerFactory,
    { provide: MCP_SERVER_FACTORY, useExisting: McpServerFactory },
  ],
  exports: [McpServerFactory, MCP_SERVER_FACTORY],
})
export class McpModule {}
