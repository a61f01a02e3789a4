/**
 * `Authorization: Bearer <tenant api key>` on every tenant route. A missing, malformed, unknown or revoked key
 * answers the same 401, so a caller learns nothing about which keys exist.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticateKey } from '../db/repositories/tenant-repository.js';
import type { ServiceContext } from '../service/service-context.js';
import { ProblemError } from './problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant the request's API key belongs to (tenant routes only). */
    tenant: { tenantId: string; apiKeyId: string };
  }
}

/** The audit-log actor for a request's key. */
export function actorOf(request: FastifyRequest): string {
  return `api_key:${request.tenant.apiKeyId}`;
}

/**
 * Adds the check to every route registered in `scope` (a Fastify plugin scope).
 * @example
 * app.register(async (scope) => { requireTenant(scope, ctx); scope.get('/integrations/connections', …); });
 */
export function requireTenant(scope: FastifyInstance, ctx: ServiceContext): void {
  scope.decorateRequest('tenant', undefined as unknown as FastifyRequest['tenant']);
  scope.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const key = match?.[1];
    const tenant = key === undefined ? undefined : await authenticateKey(ctx.db, key);
    if (!tenant) {
      throw new ProblemError(
        401,
        'Unauthorized',
        key === undefined
          ? 'send the tenant API key as "Authorization: Bearer <key>"'
          : 'the API key is not valid (unknown, revoked or mistyped)',
      );
    }
    request.tenant = tenant;
  });
}
