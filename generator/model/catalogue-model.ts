import type { PlatformConfig } from '../../src/runtime/platform-schema.js';
import { CATEGORIES } from '../../src/runtime/platform-schema.js';
import { rateLimitSummary } from '../../src/runtime/rate-limit/rate-limit-models.js';

/** Markdown table cell text: no pipes or line breaks. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
}

/**
 * The render model of `docs/platforms.md`: one row per platform and a coverage table per category. Pure; platforms
 * arrive sorted by id, categories follow the schema's order.
 */
export function buildCatalogueModel(platforms: readonly PlatformConfig[], configFile: string) {
  const rows = platforms.map((p) => {
    const entities = Object.entries(p.entities).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      id: p.id,
      name: cell(p.name),
      docsUrl: p.docsUrl,
      category: p.category,
      auth: p.auth.kind,
      pagination: p.pagination.kind,
      rateLimit: cell(rateLimitSummary(p.rateLimit).brief),
      entities: cell(entities.map(([k, e]) => (e.standard ? `${k} (${e.standard})` : k)).join(', ')),
      webhooks: p.webhooks.scheme,
      openapi: p.openapi ? 'yes' : '—',
      incremental: entities.filter(([, e]) => e.incremental.kind !== 'none').length,
      standards: entities.flatMap(([, e]) => (e.standard ? [e.standard] : [])),
    };
  });
  const categories = CATEGORIES.map((name) => {
    const inCategory = rows.filter((r) => r.category === name);
    return {
      name,
      count: inCategory.length,
      openapi: inCategory.filter((r) => r.openapi === 'yes').length,
      webhooks: inCategory.filter((r) => r.webhooks !== 'none').length,
      incremental: inCategory.reduce((n, r) => n + r.incremental, 0),
      standards: [...new Set(inCategory.flatMap((r) => r.standards))].sort().join(', ') || '—',
    };
  }).filter((c) => c.count > 0);
  return { configFile, total: rows.length, categoryCount: categories.length, categories, platforms: rows };
}
