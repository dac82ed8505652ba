import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { AppModule, AppModuleOptions } from './app.module';
import { BoundedExpressAdapter } from './common/bounded-express.adapter';
import { corsOptions } from './common/cors-options';
import { PACKAGE_VERSION } from './common/package-info';
import {
  capturedHeaders,
  docsSecurityHeaders,
  strictSecurityHeaders,
} from './common/security-headers';
import type { AppConfiguration } from './config/configuration.types';
import { AppLogger } from './logging/app-logger';
import { HTTP_LOGGER, type HttpLogger } from './logging/logging.tokens';
import { HttpMetrics } from './metrics/http-metrics';

/** Builds the HTTP application exactly as it is deployed; main.ts and the e2e tests share it. */
export async function createHttpApp(
  configuration: AppConfiguration,
  options: Pick<AppModuleOptions, 'clock' | 'timers' | 'surface'> = {},
): Promise<NestExpressApplication> {
  const { http } = configuration;
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({ configuration, ...options }),
    new BoundedExpressAdapter(http),
    // Bodies are read after the guards (RequestBodyGuard), never by a global parser.
    { bufferLogs: true, bodyParser: false },
  );
  app.useLogger(app.get(AppLogger));
  app.disable('x-powered-by');
  app.set('trust proxy', http.trustProxy);
  // Request id and access line first, so every later step logs under the request.
  app.use(app.get<HttpLogger>(HTTP_LOGGER));
  app.use(app.get(HttpMetrics).middleware);
  app.use(securityHeaders());
  app.enableCors(corsOptions(http));
  mountApiDocs(app, configuration);
  return app;
}

/**
 * The strict headers are the same on every response, so they are captured once and set without
 * running helmet per request; the docs page gets its own policy. Event streams drop them again
 * (see TransportModule).
 */
function securityHeaders() {
  const strict = capturedHeaders(strictSecurityHeaders);
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.path.startsWith('/docs')) return docsSecurityHeaders(req, res, next);
    for (const [name, value] of strict) res.setHeader(name, value);
    next();
  };
}

/** OpenAPI for every HTTP route, the MCP ones included: UI at /docs, JSON at /docs-json. */
function mountApiDocs(app: NestExpressApplication, configuration: AppConfiguration): void {
  const builder = new DocumentBuilder()
    .setTitle('aareguru-mcp')
    .setDescription(
      'The MCP endpoints (/mcp: Streamable HTTP; /sse + /messages: the legacy HTTP+SSE transport), health probes and the admin API of the aareguru-mcp server. The MCP payloads are JSON-RPC 2.0 messages as the MCP specification defines them; this document describes their HTTP envelope: methods, headers, media types and error answers.',
    )
    .setVersion(PACKAGE_VERSION)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        description:
          'The same API key, as a bearer token; or, with AUTH_MODE oauth or both, an access token (JWT) of a configured issuer.',
      },
      'bearer',
    );
  if (configuration.mcp.publicBaseUrl) builder.addServer(configuration.mcp.publicBaseUrl);
  const document = SwaggerModule.createDocument(app, builder.build());
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
