import { Module } from '@nestjs/common';
import { ViewDocuments } from './view-documents';
import { ViewResources } from './view.resources';

/** MCP Apps: the built views and the `ui://` resources that serve them. */
@Module({
  providers: [ViewDocuments, ViewResources],
  exports: [ViewResources, ViewDocuments],
})
export class ViewsModule {}
