import { Injectable } from '@nestjs/common';
import { ProtocolError, ProtocolErrorCode, type McpServer } from '@modelcontextprotocol/server';
import { registerAppResource, RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import type { AareResource } from '../mcp/resources/aare-resource';
import type { CallObserver } from '../mcp/call-observer';
import { RELEASE_CACHE_HINT } from '../mcp/cache-hints';
import { ICONS } from '../mcp/icons';
import { ViewDocuments } from './view-documents';
import { VIEWS } from './view-catalogue';

/**
 * The views as `ui://` resources of type `text/html;profile=mcp-app`. They declare no CSP
 * domains: everything a view needs is inside its document, so the host's strictest default
 * policy (no network at all) is the one that applies.
 */
@Injectable()
export class ViewResources implements AareResource {
  constructor(private readonly documents: ViewDocuments) {}

  register(server: McpServer, observer: CallObserver): void {
    for (const view of VIEWS) {
      registerAppResource(
        // The helper is typed against the SDK's ES module declarations; the server is the same.
        server as never,
        `view-${view.name}`,
        view.uri,
        // `cacheHint` (2026-07-28) is newer than the helper's types; the SDK reads it.
        {
          title: view.title,
          description: `${view.description} Shown with ${view.tool} in clients that display MCP Apps.`,
          mimeType: RESOURCE_MIME_TYPE,
          icons: ICONS.wave,
          // Changes with a release, and must match the data its tool returns: kept as long as
          // the tool list that points at it.
          cacheHint: RELEASE_CACHE_HINT,
        } as never,
        (uri) =>
          observer.observe('resource', `view-${view.name}`, async () => {
            const html = this.documents.html(view.name);
            if (html === undefined) {
              throw new ProtocolError(
                ProtocolErrorCode.InternalError,
                `The ${view.name} view is not available on this server (it was not built).`,
              );
            }
            return { contents: [{ uri: uri.href, mimeType: RESOURCE_MIME_TYPE, text: html }] };
          }),
      );
    }
  }
}
