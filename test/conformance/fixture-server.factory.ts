import { Injectable, Module } from '@nestjs/common';
import { completable, McpServer, ResourceTemplate } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { MCP_SERVER_FACTORY, McpServerSource } from '../../src/mcp/mcp.tokens';

/** A 1×1 red pixel. */
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

/** A valid 8 kHz mono 16-bit WAV with a few samples of silence. */
function wavBase64(): string {
  const samples = 16;
  const data = Buffer.alloc(samples * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]).toString('base64');
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

/**
 * The fixtures the official conformance suite calls by name (the reference "everything" server's
 * surface), served through our real transport stack. Test-only: it proves the transports,
 * sessions, streams and server→client requests, independently of the Aare tools.
 */
@Injectable()
export class ConformanceFixtureFactory implements McpServerSource {
  readonly create = (): McpServer => {
    const server = new McpServer(
      { name: 'aareguru-mcp-conformance-fixtures', version: '0.0.0' },
      { capabilities: { logging: {}, resources: { subscribe: true } } },
    );
    this.tools(server);
    this.resources(server);
    this.prompts(server);
    return server;
  };

  private tools(server: McpServer): void {
    const none = { inputSchema: z.object({}) };
    server.registerTool('test_simple_text', { description: 'Returns simple text', ...none }, () =>
      text('This is a simple text response for testing.'),
    );
    server.registerTool('test_image_content', { description: 'Returns an image', ...none }, () => ({
      content: [{ type: 'image', data: PNG_BASE64, mimeType: 'image/png' }],
    }));
    server.registerTool('test_audio_content', { description: 'Returns audio', ...none }, () => ({
      content: [{ type: 'audio', data: wavBase64(), mimeType: 'audio/wav' }],
    }));
    server.registerTool(
      'test_embedded_resource',
      { description: 'Returns an embedded resource', ...none },
      () => ({
        content: [
          {
            type: 'resource',
            resource: {
              uri: 'test://embedded-resource',
              mimeType: 'text/plain',
              text: 'This is an embedded resource content.',
            },
          },
        ],
      }),
    );
    server.registerTool(
      'test_multiple_content_types',
      { description: 'Returns text, an image and a resource', ...none },
      () => ({
        content: [
          { type: 'text', text: 'Multiple content types test:' },
          { type: 'image', data: PNG_BASE64, mimeType: 'image/png' },
          {
            type: 'resource',
            resource: {
              uri: 'test://mixed-content-resource',
              mimeType: 'application/json',
              text: JSON.stringify({ test: 'data', value: 123 }),
            },
          },
        ],
      }),
    );
    server.registerTool(
      'test_tool_with_logging',
      { description: 'Logs three messages while it runs', ...none },
      async (_args, ctx) => {
        await ctx.mcpReq.log('info', 'Tool execution started');
        await pause(50);
        await ctx.mcpReq.log('info', 'Tool processing data');
        await pause(50);
        await ctx.mcpReq.log('info', 'Tool execution completed');
        return text('Tool with logging executed successfully');
      },
    );
    server.registerTool(
      'test_tool_with_progress',
      { description: 'Reports progress while it runs', ...none },
      async (_args, ctx) => {
        const progressToken = ctx.mcpReq._meta?.progressToken;
        for (const progress of [0, 50, 100]) {
          if (progressToken !== undefined) {
            await ctx.mcpReq.notify({
              method: 'notifications/progress',
              params: { progressToken, progress, total: 100 },
            });
          }
          if (progress < 100) await pause(50);
        }
        return text('Tool with progress executed successfully');
      },
    );
    server.registerTool('test_error_handling', { description: 'Always fails', ...none }, () => {
      throw new Error('This tool intentionally returns an error for testing');
    });
    server.registerTool(
      'test_sampling',
      {
        description: 'Asks the client for a completion',
        inputSchema: z.object({ prompt: z.string() }),
      },
      async ({ prompt }, ctx) => {
        const result = await ctx.mcpReq.requestSampling({
          messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
          maxTokens: 100,
        });
        const content = Array.isArray(result.content) ? result.content[0] : result.content;
        return text(
          `LLM response: ${content?.type === 'text' ? content.text : JSON.stringify(content)}`,
        );
      },
    );
    server.registerTool(
      'test_elicitation',
      { description: 'Asks the user for input', inputSchema: z.object({ message: z.string() }) },
      async ({ message }, ctx) => {
        const result = await ctx.mcpReq.elicitInput({
          message,
          requestedSchema: {
            type: 'object',
            properties: {
              username: { type: 'string', description: "User's response" },
              email: { type: 'string', description: "User's email address" },
            },
            required: ['username', 'email'],
          },
        });
        return text(
          `User response: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`,
        );
      },
    );
    server.registerTool(
      'test_elicitation_sep1034_defaults',
      { description: 'Elicitation with defaults for every primitive type', ...none },
      async (_args, ctx) => {
        const result = await ctx.mcpReq.elicitInput({
          message: 'Please review and update the form fields with defaults',
          requestedSchema: {
            type: 'object',
            properties: {
              name: { type: 'string', description: 'User name', default: 'John Doe' },
              age: { type: 'integer', description: 'User age', default: 30 },
              score: { type: 'number', description: 'User score', default: 95.5 },
              status: {
                type: 'string',
                description: 'User status',
                enum: ['active', 'inactive', 'pending'],
                default: 'active',
              },
              verified: { type: 'boolean', description: 'Verification status', default: true },
            },
            required: [],
          },
        });
        return text(
          `Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`,
        );
      },
    );
    server.registerTool(
      'test_elicitation_sep1330_enums',
      { description: 'Elicitation with every enum variant', ...none },
      async (_args, ctx) => {
        const result = await ctx.mcpReq.elicitInput({
          message: 'Please select options from the enum fields',
          requestedSchema: {
            type: 'object',
            properties: {
              untitledSingle: {
                type: 'string',
                description: 'Select one option',
                enum: ['option1', 'option2', 'option3'],
              },
              titledSingle: {
                type: 'string',
                description: 'Select one option with titles',
                oneOf: [
                  { const: 'value1', title: 'First Option' },
                  { const: 'value2', title: 'Second Option' },
                  { const: 'value3', title: 'Third Option' },
                ],
              },
              legacyEnum: {
                type: 'string',
                description: 'Select one option (legacy)',
                enum: ['opt1', 'opt2', 'opt3'],
                enumNames: ['Option One', 'Option Two', 'Option Three'],
              },
              untitledMulti: {
                type: 'array',
                description: 'Select multiple options',
                items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
              },
              titledMulti: {
                type: 'array',
                description: 'Select multiple options with titles',
                items: {
                  anyOf: [
                    { const: 'value1', title: 'First Choice' },
                    { const: 'value2', title: 'Second Choice' },
                    { const: 'value3', title: 'Third Choice' },
                  ],
                },
              },
            },
            required: [],
          },
        } as never);
        return text(
          `Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`,
        );
      },
    );
  }

  private resources(server: McpServer): void {
    server.registerResource(
      'static-text',
      'test://static-text',
      { description: 'A static text resource', mimeType: 'text/plain' },
      (uri) => ({
        contents: [
          {
            uri: uri.href,
            mimeType: 'text/plain',
            text: 'This is the content of the static text resource.',
          },
        ],
      }),
    );
    server.registerResource(
      'static-binary',
      'test://static-binary',
      { description: 'A static binary resource', mimeType: 'image/png' },
      (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG_BASE64 }] }),
    );
    server.registerResource(
      'watched-resource',
      'test://watched-resource',
      { description: 'A resource clients can subscribe to', mimeType: 'text/plain' },
      (uri) => ({
        contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content' }],
      }),
    );
    server.registerResource(
      'template-data',
      new ResourceTemplate('test://template/{id}/data', { list: undefined }),
      { description: 'A templated resource', mimeType: 'application/json' },
      (uri, { id }) => ({
        contents: [
          {
            uri: uri.href,
            mimeType: 'application/json',
            text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
          },
        ],
      }),
    );
    // Subscriptions are per server (one per session): remember the URIs, acknowledge with {}.
    const subscriptions = new Set<string>();
    server.server.setRequestHandler('resources/subscribe', (request) => {
      subscriptions.add(request.params.uri);
      return {};
    });
    server.server.setRequestHandler('resources/unsubscribe', (request) => {
      subscriptions.delete(request.params.uri);
      return {};
    });
  }

  private prompts(server: McpServer): void {
    server.registerPrompt('test_simple_prompt', { description: 'A simple prompt' }, () => ({
      messages: [
        { role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } },
      ],
    }));
    server.registerPrompt(
      'test_prompt_with_arguments',
      {
        description: 'A prompt with arguments',
        argsSchema: z.object({
          arg1: completable(z.string().describe('First test argument'), (value) =>
            ['paris', 'park', 'party'].filter((v) => v.startsWith(value)),
          ),
          arg2: z.string().describe('Second test argument'),
        }),
      },
      ({ arg1, arg2 }) => ({
        messages: [
          {
            role: 'user',
            content: {
              type: 'text',
              text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`,
            },
          },
        ],
      }),
    );
    server.registerPrompt(
      'test_prompt_with_embedded_resource',
      {
        description: 'A prompt with an embedded resource',
        argsSchema: z.object({ resourceUri: z.string().describe('URI of the resource to embed') }),
      },
      ({ resourceUri }) => ({
        messages: [
          {
            role: 'user',
            content: {
              type: 'resource',
              resource: {
                uri: resourceUri,
                mimeType: 'text/plain',
                text: 'Embedded resource content for testing.',
              },
            },
          },
          {
            role: 'user',
            content: { type: 'text', text: 'Please process the embedded resource above.' },
          },
        ],
      }),
    );
    server.registerPrompt(
      'test_prompt_with_image',
      { description: 'A prompt with an image' },
      () => ({
        messages: [
          { role: 'user', content: { type: 'image', data: PNG_BASE64, mimeType: 'image/png' } },
          { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
        ],
      }),
    );
  }
}

/** Test-only MCP surface: the conformance fixtures in place of the Aare tools. */
@Module({
  providers: [
    ConformanceFixtureFactory,
    { provide: MCP_SERVER_FACTORY, useExisting: ConformanceFixtureFactory },
  ],
  exports: [MCP_SERVER_FACTORY],
})
export class ConformanceFixturesModule {}
