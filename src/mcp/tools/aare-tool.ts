import type { CallToolResult, ResourceLink, ToolAnnotations } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import type { ProgressReporter } from '../../aare/progress-reporter';
import type { ToolAsk } from '../questions';

export interface AareToolConfig<I extends z.ZodObject, O extends z.ZodObject> {
  title: string;
  description: string;
  inputSchema: I;
  outputSchema: O;
  annotations?: ToolAnnotations;
}

/** Every Aare tool only reads public data from the open world and may be called again freely. */
export const READ_ONLY_ANNOTATIONS: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: true,
};

/**
 * A tool is a name, its schemas and two small functions: `run` delegates to a service and
 * returns the structured result; `summarise` writes the short text block for people. A tool
 * whose work can take a while passes `progress` on to its service; it does nothing unless the
 * caller asked for progress. `ask` is there only when the client can put a question to the person
 * (elicitation); a tool that may want a confirmation hands it to its service. A tool whose answer
 * is also a resource names it in `links`; the links follow the text block in the result.
 */
export abstract class AareTool<
  I extends z.ZodObject = z.ZodObject,
  O extends z.ZodObject = z.ZodObject,
> {
  abstract readonly name: string;
  abstract readonly config: AareToolConfig<I, O>;
  abstract run(args: z.output<I>, progress?: ProgressReporter, ask?: ToolAsk): Promise<z.output<O>>;
  abstract summarise(result: z.output<O>): string;
  links?(result: z.output<O>): ResourceLink[];
}

export type ToolResult = CallToolResult & { structuredContent?: Record<string, unknown> };
