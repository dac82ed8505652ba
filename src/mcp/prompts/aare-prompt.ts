import type { GetPromptResult, McpServer } from '@modelcontextprotocol/server';
import type { CallObserver } from '../call-observer';
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { UnknownCityError } from '../../aareguru/aareguru.errors';
import type { AareguruService } from '../../aareguru/aareguru.service';

export interface AarePrompt {
  register(server: McpServer, observer: CallObserver): void;
}

export function userPrompt(description: string, text: string): GetPromptResult {
  return { description, messages: [{ role: 'user', content: { type: 'text', text } }] };
}

/**
 * A prompt for a city that does not exist would send the model on a useless errand, so an unknown
 * city is an invalid-params error. When upstream is down the city is passed on unchecked: the
 * tools the prompt names will say what is wrong.
 */
export async function checkedCity(aareguru: AareguruService, city: string): Promise<string> {
  try {
    return await aareguru.resolveCity(city);
  } catch (error) {
    if (error instanceof UnknownCityError) {
      const refusal = new ProtocolError(ProtocolErrorCode.InvalidParams, error.message);
      throw Object.assign(refusal, { cause: error });
    }
    return city.trim().toLowerCase();
  }
}
