/**
 * The platform registry: `GET /integrations/registry` (filtered by category, auth kind, or words) and
 * `GET /integrations/registry/{integration_id}` with the credential and connection-config schemas connect takes.
 * Public: it holds no tenant data.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { detail, type IntegrationCatalog } from '../integration-catalog.js';
import { notFound } from '../problem.js';
import { integrationDetailResponse, integrationSummaryResponse } from '../route-schemas.js';

const listQuery = z
  .object({
    category: z.string().trim().min(1).max(64).optional(),
    q: z.string().trim().max(200).optional(),
    auth_kind: z.string().trim().min(1).max(64).optional(),
  })
  .strict();

/** Distinct registry queries whose answers are kept serialized. */
const MAX_CACHED_RESPONSES = 500;

export function registryRoutes(app: FastifyInstance, catalog: IntegrationCatalog): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const responses = new Map<string, { body: string; etag: string }>();

  typed.get(
    '/integrations/registry',
    {
      schema: {
        tags: ['registry'],
        summary: 'The platforms EnGarde connects to',
        querystring: listQuery,
        response: { 200: z.object({ integrations: z.array(integrationSummaryResponse), total: z.number().int() }) },
      },
    },
    async (request, reply) => {
      const { category, auth_kind: authKind, q } = request.query;
      const words = (q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
      const key = JSON.stringify([category ?? null, authKind ?? null, words]);
      let cached = responses.get(key);
      if (!cached) {
        const integrations = (await catalog.all()).filter((i) => {
          if (category !== undefined && i.category !== category) return false;
          if (authKind !== undefined && i.auth_kind !== authKind) return false;
          const text = `${i.id} ${i.name} ${i.category} ${i.summary}`.toLowerCase();
          return words.every((w) => text.includes(w));
        });
        // The catalogue only changes with a deployment: each answer is serialized once, with a strong ETag.
        const body = JSON.stringify({ integrations, total: integrations.length });
        cached = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
        if (responses.size >= MAX_CACHED_RESPONSES) responses.delete(responses.keys().next().value as string);
        responses.set(key, cached);
      }
      // The body is sent already serialized (the 200 schema describes it; the serializer never sees a string).
      const raw = reply as FastifyReply;
      raw.header('etag', cached.etag).header('cache-control', 'public, max-age=300');
      if (request.headers['if-none-match'] === cached.etag) return raw.status(304).send();
      return raw.type('application/json; charset=utf-8').send(cached.body);
    },
  );

  typed.get(
    '/integrations/registry/:integration_id',
    {
      schema: {
        tags: ['registry'],
        summary: 'One platform, with the schemas of its credentials and connection config',
        params: z.object({ integration_id: z.string().min(1).max(100) }),
        response: { 200: z.object({ integration: integrationDetailResponse }) },
      },
    },
    async (request) => {
      const id = request.params.integration_id;
      const meta = catalog.has(id) ? await catalog.meta(id) : undefined;
      if (!meta) throw notFound(`integration "${id}"`);
      return { integration: detail(meta) };
    },
  );
}
