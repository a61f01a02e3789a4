/**
 * The REST API (DESIGN.md §4): Fastify 5 with zod schemas (fastify-type-provider-zod), problem+json errors, our own
 * OpenAPI description at `/openapi.json` and `/docs`, tenant routes behind API keys and a per-tenant rate limit.
 */
import { readFileSync } from 'node:fs';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { installRequestContext, requestIdServerOptions } from '../observability/request-context.js';
import type { ServiceContext } from '../service/service-context.js';
import { IntegrationCatalog } from './integration-catalog.js';
import { ProblemError, problemErrorHandler, sendProblem } from './problem.js';
import { alertRoutes } from './routes/alert-routes.js';
import { auditRoutes } from './routes/audit-routes.js';
import { connectionRoutes } from './routes/connection-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { metricsRoutes } from './routes/metrics-routes.js';
import { oauthCallbackRoutes, oauthInitiateRoutes } from './routes/oauth-routes.js';
import { registryRoutes } from './routes/registry-routes.js';
import { statisticsRoutes } from './routes/statistics-routes.js';
import { syncRoutes } from './routes/sync-routes.js';
import { inboundWebhookRoutes, webhookRoutes } from './routes/webhook-routes.js';
import { requireTenant } from './tenant-auth.js';
import { webPageRoutes } from './web-page.js';

/** The largest request body accepted. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface BuiltServer {
  app: FastifyInstance;
  catalog: IntegrationCatalog;
}

/**
 * @example
 * const { app } = await buildServer(ctx);
 * await app.listen({ host: ctx.settings.host, port: ctx.settings.port });
 */
export async function buildServer(ctx: ServiceContext): Promise<BuiltServer> {
  const { settings } = ctx;
  const app = Fastify({
    loggerInstance: ctx.logger,
    // A random id per request, on every log line written while it is served (observability/request-context.ts).
    ...requestIdServerOptions(),
    // A hop count is valid (proxy-addr), though the typings list only strings and booleans.
    trustProxy: settings.trustProxy as boolean | string,
    bodyLimit: BODY_LIMIT_BYTES,
    ...(settings.tls
      ? { https: { cert: readFileSync(settings.tls.certFile), key: readFileSync(settings.tls.keyFile) } }
      : {}),
    // Route parameters are ids: anything longer is refused before a handler sees it.
    routerOptions: { maxParamLength: 200 },
    // Errors Fastify raises before routing (a malformed URL, an unsupported content type) are problems too.
    frameworkErrors: (error, request, reply) => problemErrorHandler(error, request, reply),
  }) as unknown as FastifyInstance;
  installRequestContext(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(problemErrorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, {
      type: 'about:blank',
      title: 'Not found',
      status: 404,
      detail: `no route ${request.method} ${request.url.split('?')[0]}`,
    }),
  );

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'EnGarde API',
        version: '1',
        description: 'Connect a product to the SaaS platforms its customers use.',
      },
      components: {
        securitySchemes: { tenantKey: { type: 'http', scheme: 'bearer', description: 'A tenant API key' } },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const catalog = new IntegrationCatalog(ctx.registry);
  healthRoutes(app, ctx);
  metricsRoutes(app, ctx);
  registryRoutes(app, catalog);
  oauthCallbackRoutes(app, ctx);
  await app.register(async (inbound) => inboundWebhookRoutes(inbound, ctx, catalog));
  await app.register(async (page) => webPageRoutes(page));

  await app.register(async (tenantScope) => {
    requireTenant(tenantScope, ctx);
    await tenantScope.register(rateLimit, {
      max: settings.apiRateLimitPerMinute,
      timeWindow: 60_000,
      hook: 'preHandler',
      keyGenerator: (request) => request.tenant.tenantId,
      errorResponseBuilder: (_request, context) =>
        new ProblemError(
          429,
          'Too many requests',
          `at most ${context.max} requests a minute per tenant; retry after ${Math.ceil(context.ttl / 1000)} s`,
        ),
    });
    for (const register of tenantRouteModules) await register(tenantScope, ctx, catalog);
  });
  return { app, catalog };
}

/** Route modules that need a tenant; each registers its routes on the tenant scope. */
export type TenantRouteModule = (
  scope: FastifyInstance,
  ctx: ServiceContext,
  catalog: IntegrationCatalog,
) => void | Promise<void>;

const tenantRouteModules: TenantRouteModule[] = [
  connectionRoutes,
  oauthInitiateRoutes,
  syncRoutes,
  webhookRoutes,
  alertRoutes,
  auditRoutes,
  statisticsRoutes,
];
