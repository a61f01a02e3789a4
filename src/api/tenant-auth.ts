/**
 * `Authorization: Bearer <tenant api key>` on every tenant route. A missing, malformed, unknown or revoked key
 * answers the same 401, so a caller learns nothing about which keys exist.
 */
import { createHash } from 'node:crypto';
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

/** How long a verified key is trusted without asking the database again. */
export const KEY_CACHE_TTL_MS = 10_000;
const KEY_CACHE_MAX = 10_000;

/**
 * Verified keys, by a SHA-256 of the whole key (never the key itself), for `KEY_CACHE_TTL_MS`: every tenant request
 * would otherwise cost a database round trip before any work. A revoked key therefore stops working within that time.
 */
class VerifiedKeyCache {
  readonly #entries = new Map<string, { tenant: FastifyRequest['tenant']; until: number }>();

  get(digest: string, now: number): FastifyRequest['tenant'] | undefined {
    const entry = this.#entries.get(digest);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.#entries.delete(digest);
      return undefined;
    }
    return entry.tenant;
  }

  set(digest: string, tenant: FastifyRequest['tenant'], now: number): void {
    if (this.#entries.size >= KEY_CACHE_MAX) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(digest, { tenant, until: now + KEY_CACHE_TTL_MS });
  }
}

/**
 * Adds the check to every route registered in `scope` (a Fastify plugin scope).
 * @example
 * app.register(async (scope) => { requireTenant(scope, ctx); scope.get('/integrations/connections', …); });
 */
export function requireTenant(scope: FastifyInstance, ctx: ServiceContext): void {
  scope.decorateRequest('tenant', undefined as unknown as FastifyRequest['tenant']);
  const cache = new VerifiedKeyCache();
  scope.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const key = match?.[1];
    let tenant: FastifyRequest['tenant'] | undefined;
    if (key !== undefined) {
      const now = Date.now();
      const digest = createHash('sha256').update(key).digest('base64');
      tenant = cache.get(digest, now);
      if (!tenant) {
        tenant = await authenticateKey(ctx.db, key);
        if (tenant) cache.set(digest, tenant, now);
      }
    }
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
