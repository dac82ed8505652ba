import catalogue from './catalogue.json';

/** One MCP Apps view: the tool whose results it shows, and the `ui://` resource it is served as. */
export interface ViewEntry {
  name: string;
  title: string;
  description: string;
  tool: string;
  uri: string;
}

/** The views, from the catalogue the build reads as well. */
export const VIEWS: readonly ViewEntry[] = catalogue.map((view) => ({
  ...view,
  uri: `ui://aareguru/${view.name}.html`,
}));

export function viewOfTool(tool: string): ViewEntry | undefined {
  return VIEWS.find((view) => view.tool === tool);
}
