import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VIEWS } from './view-catalogue';

/**
 * Where `npm run build` puts the views: beside this file once compiled (dist/views), or under
 * dist/views when the sources run directly (tests).
 */
const BUILT_VIEWS = [__dirname, resolve(__dirname, '../../dist/views')];

/** Where to look for the built views instead (tests). */
export const VIEW_DIRECTORIES = Symbol('VIEW_DIRECTORIES');

/** The built HTML of each view, read once at boot and held in memory. */
@Injectable()
export class ViewDocuments {
  private readonly logger = new Logger(ViewDocuments.name);
  private readonly documents = new Map<string, string>();

  constructor(@Optional() @Inject(VIEW_DIRECTORIES) directories: string[] = BUILT_VIEWS) {
    const missing: string[] = [];
    for (const view of VIEWS) {
      const file = directories.map((dir) => join(dir, `${view.name}.html`)).find(existsSync);
      if (file) this.documents.set(view.name, readFileSync(file, 'utf8'));
      else missing.push(view.name);
    }
    if (missing.length) {
      this.logger.error(
        `Views not built (${missing.join(', ')}): run "npm run build". Their tools still answer with text.`,
      );
    }
  }

  /** The view's HTML document, or undefined when it was not built. */
  html(name: string): string | undefined {
    return this.documents.get(name);
  }
}
