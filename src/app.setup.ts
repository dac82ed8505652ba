import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { getToken } from '@willsoto/nestjs-prometheus';
import type { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import type { Counter, Histogram } from 'prom-client';
import { AppModule, AppModuleOptions } from './app.module';
import { HttpExceptionFilter } from './common/filters/http-exception.filter';
import { corsOptions } from './common/cors-options';
import { PACKAGE_VERSION } from './common/package-info';
import { docsSecurityHeaders, strictSecurityHeaders } from './common/security-headers';
import type { AppConfiguration } from './config/configuration.types';
import { HTTP_REJECTED_REQUESTS, HTTP_REQUEST_DURATION } from './metrics/app.metrics';
import { McpHttpGateway } from './transport/mcp-http.gateway';

type HttpDuration = Histogram<'route' | 'method' | 'status'>;

/** Builds the HTTP application exactly as it is deployed; main.ts and the e2e tests share it. */
export async function createHttpApp(
  configuration: AppConfiguration,
  options: Pick<AppModuleOptions, 'clock' | 'surface'> = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({ configuration, ...options }),
    {
      bufferLogs: true,
      bodyParser: false,
      // Idle keep-alive sockets would otherwise hold shutdown open for the keep-alive timeout.
      forceCloseConnections: true,
    },
  );
  const { http } = configuration;
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.set('trust proxy', http.trustProxy);
  app.use(httpMetrics(app.get<HttpDuration>(getToken(HTTP_REQUEST_DURATION.name))));
  app.use(securityHeaders());
  app.enableCors(corsOptions(http));
  app.useBodyParser('json', { limit: http.maxBodyBytes });
  app.useGlobalFilters(
    new HttpExceptionFilter(app.get<Counter<'reason'>>(getToken(HTTP_REJECTED_REQUESTS.name))),
  );
  mountApiDocs(app);
  // The MCP routes are served in front of Express (see McpHttpGateway), with the same policies.
  app
    .get(McpHttpGateway)
    .install(app.getHttpServer(), app.getHttpAdapter().getInstance().get('trust proxy fn'));
  return app;
}

/** Request duration by route template (not raw path: ids would explode the label set). */
function httpMetrics(httpDuration: HttpDuration) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      httpDuration.observe(
        { route: `${req.baseUrl}${route}`, method: req.method, status: String(res.statusCode) },
        seconds,
      );
    });
    next();
  };
}

function securityHeaders() {
  return (req: Request, res: Response, next: NextFunction) => {
    return (req.path.startsWith('/docs') ? docsSecurityHeaders : strictSecurityHeaders)(
      req,
      res,
      next,
    );
  };
}

/** OpenAPI for the admin and health endpoints (not the JSON-RPC ones): UI at /docs, JSON at /docs-json. */
function mountApiDocs(app: NestExpressApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('aareguru-mcp operations API')
      .setDescription(
        'Health probes and the admin API of the aareguru-mcp server. The MCP endpoints (/mcp, /sse, /messages) speak JSON-RPC and are described by the MCP specification, not here.',
      )
      .setVersion(PACKAGE_VERSION)
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
