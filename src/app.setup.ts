import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppModule, AppModuleOptions } from './app.module';
import { HttpExceptionFilter } from './common/filters/http-exception.filter';
import { PACKAGE_VERSION } from './common/package-info';
import type { AppConfiguration } from './config/configuration.types';
import { MetricsService } from './metrics/metrics.service';

/** Headers a browser client may send to the MCP routes, and those it may read back. */
const CORS_ALLOWED_HEADERS = [
  'Content-Type',
  'Accept',
  'Authorization',
  'X-API-Key',
  'X-Request-Id',
  'Mcp-Session-Id',
  'Mcp-Protocol-Version',
  'Mcp-Method',
  'Mcp-Name',
  'Last-Event-ID',
];
const CORS_EXPOSED_HEADERS = [
  'Mcp-Session-Id',
  'X-Request-Id',
  'Retry-After',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
];

/** Event streams get none of the page-oriented security headers. */
function isEventStream(req: Request): boolean {
  return req.method === 'GET' && (req.path === '/sse' || req.path === '/mcp');
}

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
  app.use(httpMetrics(app.get(MetricsService)));
  app.use(securityHeaders());
  app.enableCors({
    origin: http.corsOrigins.length > 0 ? http.corsOrigins : false,
    methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: 600,
  });
  app.useBodyParser('json', { limit: http.maxBodyBytes });
  app.useGlobalFilters(new HttpExceptionFilter(app.get(MetricsService)));
  mountApiDocs(app);
  return app;
}

/** Request duration by route template (not raw path: ids would explode the label set). */
function httpMetrics(metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpDuration.observe(
        { route: `${req.baseUrl}${route}`, method: req.method, status: String(res.statusCode) },
        seconds,
      );
    });
    next();
  };
}

function securityHeaders() {
  const strict = helmet({
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  });
  // The docs page runs Swagger UI's scripts and styles from this server.
  const docs = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'"],
      },
    },
  });
  return (req: Request, res: Response, next: NextFunction) => {
    if (isEventStream(req)) return next();
    return (req.path.startsWith('/docs') ? docs : strict)(req, res, next);
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
