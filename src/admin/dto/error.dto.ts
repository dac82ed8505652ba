import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';

/**
 * The JSON body of every error answer outside the MCP routes, as the exception filter sends it
 * (src/common/filters): Nest's `{ statusCode, message, error }`, where `message` lists the
 * field errors of a 400 from validation.
 */
export class ErrorResponseDto {
  @ApiProperty({ description: 'The HTTP status, repeated.', example: 404 })
  statusCode!: number;

  @ApiProperty({
    description: 'What went wrong: one sentence, or one per invalid field (400 from validation).',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: 'No open session 3f0c2a9e-1b7d-4c55-9a61-0d2f5e8b7c41',
  })
  message!: string | string[];

  @ApiPropertyOptional({
    description: "The status's reason phrase; absent on 429 and on a body that is not JSON.",
    example: 'Not Found',
  })
  error?: string;
}

/** The answers the admin API really gives, by status, as its examples. */
export const ERROR_EXAMPLES = {
  validation: {
    statusCode: 400,
    message: [
      'transport must be one of the following values: streamable-http, sse, listen',
      'limit must not be greater than 1000',
    ],
    error: 'Bad Request',
  },
  invalidCity: {
    statusCode: 400,
    message: ['city must be a lower-case city id'],
    error: 'Bad Request',
  },
  invalidJson: { statusCode: 400, message: 'Parse error: the body is not valid JSON' },
  unauthorized: {
    statusCode: 401,
    message: 'Unauthorized: a valid API key is required (X-API-Key header)',
    error: 'Unauthorized',
  },
  forbidden: {
    statusCode: 403,
    message: 'Forbidden: this key is not an admin key',
    error: 'Forbidden',
  },
  notFound: {
    statusCode: 404,
    message: 'No open session 3f0c2a9e-1b7d-4c55-9a61-0d2f5e8b7c41',
    error: 'Not Found',
  },
  tooLarge: { statusCode: 413, message: 'Request body too large', error: 'Payload Too Large' },
  unsupportedType: {
    statusCode: 415,
    message: 'Unsupported Media Type: Content-Type must be application/json',
    error: 'Unsupported Media Type',
  },
  tooManyRequests: {
    statusCode: 429,
    message: 'Too Many Requests: rate limit of 100 requests per minute exceeded; retry in 60 s',
  },
  unavailable: {
    statusCode: 503,
    message: 'Service Unavailable: the session store cannot be reached; retry shortly',
    error: 'Service Unavailable',
  },
} satisfies Record<string, ErrorResponseDto>;

type Example = { summary: string; value: ErrorResponseDto };

/** One error answer: the body's schema and the examples of what is really sent. */
export function ApiErrorResponse(
  status: number,
  description: string,
  examples: Record<string, Example>,
  headers?: Record<string, { description: string; schema: { type: 'string' | 'integer' } }>,
) {
  return applyDecorators(
    ApiResponse({ status, description, type: ErrorResponseDto, examples, headers }),
  );
}
