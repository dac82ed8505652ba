import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** RFC 9728 §2: the Protected Resource Metadata this server publishes. */
export class ProtectedResourceMetadataDto {
  @ApiProperty({
    description: 'The resource identifier: tokens for this server carry it in `aud`.',
    example: 'https://aare.example.com/mcp',
  })
  resource!: string;

  @ApiProperty({
    description: 'The issuers whose tokens this server accepts (OAUTH_ISSUERS).',
    type: [String],
    example: ['https://login.microsoftonline.com/2f4c8a1e-0d6b-4e8f-9a3c-5b7d1e2f3a4b/v2.0'],
  })
  authorization_servers!: string[];

  @ApiPropertyOptional({
    description: 'The scopes every MCP request needs (OAUTH_REQUIRED_SCOPES); absent when none.',
    type: [String],
    example: ['aare.read'],
  })
  scopes_supported?: string[];

  @ApiProperty({
    description: 'Tokens are sent in the Authorization header only.',
    type: [String],
    example: ['header'],
  })
  bearer_methods_supported!: string[];

  @ApiProperty({ example: 'Aareguru MCP: the Aare river in Switzerland' })
  resource_name!: string;

  @ApiProperty({ description: 'This API description.', example: 'https://aare.example.com/docs' })
  resource_documentation!: string;
}

const MCP_EXAMPLE = {
  resource: 'https://aare.example.com/mcp',
  authorization_servers: [
    'https://login.microsoftonline.com/2f4c8a1e-0d6b-4e8f-9a3c-5b7d1e2f3a4b/v2.0',
  ],
  scopes_supported: ['aare.read'],
  bearer_methods_supported: ['header'],
  resource_name: 'Aareguru MCP: the Aare river in Switzerland',
  resource_documentation: 'https://aare.example.com/docs',
};

export const PROTECTED_RESOURCE_EXAMPLES = {
  mcp: MCP_EXAMPLE,
  server: { ...MCP_EXAMPLE, resource: 'https://aare.example.com/' },
};
