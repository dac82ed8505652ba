import { viewMetaOf } from '../mcp/mcp-server.factory';
import type { ViewDocuments } from './view-documents';

describe("a tool's view in tools/list", () => {
  const built = (names: string[]) =>
    ({
      html: (name: string) => (names.includes(name) ? '<!doctype html>' : undefined),
    }) as ViewDocuments;

  it('points a tool at its view when the view was built', () => {
    expect(viewMetaOf('get_forecast', built(['forecast']))).toEqual({
      ui: { resourceUri: 'ui://aareguru/forecast.html' },
    });
  });

  it('points nowhere for a view that was not built, or a tool without one', () => {
    expect(viewMetaOf('get_forecast', built(['history']))).toBeUndefined();
    expect(viewMetaOf('list_cities', built(['forecast']))).toBeUndefined();
  });
});
