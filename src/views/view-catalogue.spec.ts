import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { VIEWS, viewOfTool } from './view-catalogue';

describe('the view catalogue', () => {
  it('gives each view a ui:// address of its own and one tool', () => {
    expect(VIEWS.map((v) => v.uri)).toEqual([
      'ui://aareguru/conditions.html',
      'ui://aareguru/history.html',
      'ui://aareguru/compare.html',
      'ui://aareguru/forecast.html',
    ]);
    expect(new Set(VIEWS.map((v) => v.tool)).size).toBe(VIEWS.length);
  });

  it('has an entry point for every view, which the build bundles', () => {
    for (const view of VIEWS) {
      expect(existsSync(join(__dirname, 'web', 'entries', `${view.name}.ts`))).toBe(true);
    }
  });

  it('finds the view of a tool, and none for a tool without one', () => {
    expect(viewOfTool('compare_cities')?.name).toBe('compare');
    expect(viewOfTool('list_cities')).toBeUndefined();
  });
});
