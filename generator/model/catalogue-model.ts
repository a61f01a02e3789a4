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
      verifiedAt: p.verifiedAt ?? '',
      sources: sourceLinks(p),
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
      verified: inCategory.filter((r) => r.verifiedAt !== '').length,
      standards: [...new Set(inCategory.flatMap((r) => r.standards))].sort().join(', ') || '—',
    };
  }).filter((c) => c.count > 0);
  const cited = rows.filter((r) => r.verifiedAt !== '');
  return { configFile, total: rows.length, categoryCount: categories.length, categories, platforms: rows, cited };
}

const FACT_GROUPS = [
  ['api', 'base URL and version'],
  ['auth', 'auth'],
  ['rateLimit', 'rate limit'],
  ['pagination', 'pagination'],
  ['webhooks', 'webhooks'],
] as const;

/** The cited pages of an entry as Markdown links, fact group by fact group, then entity by entity. */
function sourceLinks(p: PlatformConfig): string {
  const s = p.sources;
  if (!s) return '';
  const links = FACT_GROUPS.flatMap(([key, label]) => (s[key] ? [`[${label}](${s[key]})`] : []));
  for (const [entity, url] of Object.entries(s.entities).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    links.push(`[${entity}](${url})`);
  }
  return cell(links.join(', '));
}
