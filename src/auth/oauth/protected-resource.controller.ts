import { Controller, Get, Header, NotFoundException, Req } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { OAuthProtectedResourceMetadata } from '@modelcontextprotocol/server';
import { ApiErrorResponse } from '../../admin/dto/error.dto';
import {
  PROTECTED_RESOURCE_EXAMPLES,
  ProtectedResourceMetadataDto,
} from './protected-resource.dto';
import { ProtectedResource } from './protected-resource';

const NOT_PROTECTED = {
  statusCode: 404,
  message: 'This server takes no OAuth tokens (AUTH_MODE=api-key)',
  error: 'Not Found',
};

/**
 * RFC 9728 discovery: an MCP client that met a 401 reads here which authorization servers issue
 * tokens for this server. Public, like any discovery document, and readable cross-origin.
 */
@ApiTags('oauth')
@Controller('.well-known/oauth-protected-resource')
export class ProtectedResourceController {
  constructor(private readonly resource: ProtectedResource) {}

  @Get()
  @Header('Access-Control-Allow-Origin', '*')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    summary: 'Protected Resource Metadata of the server (legacy SSE transport)',
    description:
      'RFC 9728 metadata for the server as a whole (PUBLIC_BASE_URL): the resource legacy HTTP+SSE clients ask tokens for. With a path in PUBLIC_BASE_URL it is also served with that path after the well-known segment. 404 when AUTH_MODE=api-key.',
  })
  @ApiOkResponse({
    type: ProtectedResourceMetadataDto,
    examples: { server: { summary: 'Entra ID', value: PROTECTED_RESOURCE_EXAMPLES.server } },
  })
  @ApiErrorResponse(404, 'The server takes no tokens.', {
    notProtected: { summary: 'AUTH_MODE=api-key', value: NOT_PROTECTED },
  })
  server(@Req() req: Request): OAuthProtectedResourceMetadata {
    return this.documentAt(req);
  }

  @Get('mcp')
  @Header('Access-Control-Allow-Origin', '*')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    summary: 'Protected Resource Metadata of /mcp (Streamable HTTP)',
    description:
      'RFC 9728 metadata for PUBLIC_BASE_URL/mcp, the resource identifier Streamable HTTP clients ask tokens for (their `aud`). 404 when AUTH_MODE=api-key.',
  })
  @ApiOkResponse({
    type: ProtectedResourceMetadataDto,
    examples: { mcp: { summary: 'Entra ID', value: PROTECTED_RESOURCE_EXAMPLES.mcp } },
  })
  @ApiErrorResponse(404, 'The server takes no tokens.', {
    notProtected: { summary: 'AUTH_MODE=api-key', value: NOT_PROTECTED },
  })
  mcp(@Req() req: Request): OAuthProtectedResourceMetadata {
    return this.documentAt(req);
  }

  /** The same documents under PUBLIC_BASE_URL's path prefix, as RFC 9728 builds their URLs. */
  @Get('*rest')
  @Header('Access-Control-Allow-Origin', '*')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiExcludeEndpoint()
  prefixed(@Req() req: Request): OAuthProtectedResourceMetadata {
    return this.documentAt(req);
  }

  private documentAt(req: Request): OAuthProtectedResourceMetadata {
    const document = this.resource.documentAt(req.path);
    if (document) return document;
    throw new NotFoundException(
      this.resource.metadataUrl.mcp
        ? `No protected resource at ${req.path}`
        : NOT_PROTECTED.message,
    );
  }
}
