/**
 * The platform registry: `GET /integrations/registry` (filtered by category, auth kind, or words) and
 * `GET /integrations/registry/{integration_id}` with the credential and connection-config schemas connect takes.
 * Public: it holds no tenant data.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { detail, type IntegrationCatalog } from '../integration-catalog.js';
import { notFound } from '../problem.js';

const listQuery = z
  .object({
    category: z.string().trim().min(1).max(64).optional(),
    q: z.string().trim().max(200).optional(),
    auth_kind: z.string().trim().min(1).max(64).optional(),
  })
  .strict();

export function registryRoutes(app: FastifyInstance, catalog: IntegrationCatalog): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get(
    '/integrations/registry',
    { schema: { tags: ['registry'], summary: 'The platforms EnGarde connects to', querystring: listQuery } },
    async (request) => {
      const { category, auth_kind: authKind, q } = request.query;
      const words = (q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
      const integrations = (await catalog.all()).filter((i) => {
        if (category !== undefined && i.category !== category) return false;
        if (authKind !== undefined && i.auth_kind !== authKind) return false;
        const text = `${i.id} ${i.name} ${i.category} ${i.description}`.toLowerCase();
        return words.every((w) => text.includes(w));
      });
      return { integrations, total: integrations.length };
    },
  );

  typed.get(
    '/integrations/registry/:integration_id',
    {
      schema: {
        tags: ['registry'],
        summary: 'One platform, with the schemas of its credentials and connection config',
        params: z.object({ integration_id: z.string().min(1).max(100) }),
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
