import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ViewDocuments } from './view-documents';
import { VIEWS } from './view-catalogue';

describe('ViewDocuments', () => {
  let dir: string;
  let errors: jest.SpyInstance;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aareguru-views-'));
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    errors.mockRestore();
  });

  it('holds each built view, read once at boot', () => {
    for (const view of VIEWS) writeFileSync(join(dir, `${view.name}.html`), `<p>${view.name}</p>`);
    const documents = new ViewDocuments([dir]);
    for (const view of VIEWS) expect(documents.html(view.name)).toBe(`<p>${view.name}</p>`);
    expect(errors).not.toHaveBeenCalled();
  });

  it('takes the first directory that has a view', () => {
    const other = mkdtempSync(join(tmpdir(), 'aareguru-views-'));
    try {
      writeFileSync(join(other, 'history.html'), 'second');
      writeFileSync(join(dir, 'history.html'), 'first');
      expect(new ViewDocuments([dir, other]).html('history')).toBe('first');
      expect(new ViewDocuments([join(dir, 'none'), other]).html('history')).toBe('second');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('says which views are missing and how to build them, and serves the others', () => {
    writeFileSync(join(dir, 'conditions.html'), 'built');
    const documents = new ViewDocuments([dir]);
    expect(documents.html('conditions')).toBe('built');
    expect(documents.html('forecast')).toBeUndefined();
    expect(errors).toHaveBeenCalledWith(
      expect.stringMatching(/^Views not built \(history, compare, forecast\): run "npm run build"/),
    );
  });
});
