/**
 * RFC 8288 `Link` header pagination (Shopify `page_info`, GitHub). The next link is followed as given: the
 * original filter parameters are not sent again (Shopify rejects them beside `page_info`), only what the link
 * carries. A link to another origin is a `PaginationError`, never followed.
 */
import type { PaginationConfig } from '../platform-schema.js';
import {
  LoopGuard,
  sameOriginNextUrl,
  withPageSize,
  type Page,
  type PageRequest,
  type PaginationContext,
  type Paginator,
} from './paginator.js';

export type LinkHeaderPaginationConfig = Extract<PaginationConfig, { kind: 'link-header' }>;

export interface LinkValue {
  url: string;
  rel: string[];
  params: Record<string, string>;
}

/**
 * Parses a `Link` header value (RFC 8288): `<url>; rel="next"; title="x", <url2>; rel="prev last"`.
 *
 * @example
 * parseLinkHeader('<https://a.example/x?page_info=2>; rel="next"')[0]?.rel; // ['next']
 */
export function parseLinkHeader(header: string | string[] | undefined): LinkValue[] {
  if (header === undefined) return [];
  const text = Array.isArray(header) ? header.join(', ') : header;
  const links: LinkValue[] = [];
  const linkPattern = /<([^>]*)>((?:\s*;\s*[^;,"]+(?:=(?:"(?:[^"\\]|\\.)*"|[^;,"]*))?)*)/g;
  for (const match of text.matchAll(linkPattern)) {
    const params: Record<string, string> = {};
    const paramPattern = /;\s*([^;,"=\s]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^;,"\s]*)))?/g;
    for (const p of (match[2] ?? '').matchAll(paramPattern)) {
      const name = (p[1] ?? '').toLowerCase();
      if (name in params) continue; // RFC 8288: only the first occurrence counts
      params[name] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
    }
    links.push({ url: match[1] ?? '', rel: (params.rel ?? '').toLowerCase().split(/\s+/).filter(Boolean), params });
  }
  return links;
}

/**
 * @example
 * new LinkHeaderPaginator({ kind: 'link-header', rel: 'next', limitParam: 'limit', maxLimit: 250 });
 */
export class LinkHeaderPaginator implements Paginator {
  readonly config: LinkHeaderPaginationConfig;

  constructor(config: LinkHeaderPaginationConfig) {
    this.config = config;
  }

  async *pages(first: PageRequest, context: PaginationContext): AsyncGenerator<Page, void, undefined> {
    const rel = this.config.rel.toLowerCase();
    const guard: LoopGuard = new LoopGuard(context, 'URL');
    let request = withPageSize(first, this.config, context);
    for (let number = 1; ; number++) {
      const response = await context.fetchPage(request);
      const records = context.recordsOf(response.body);
      guard.page(records);
      yield { number, records, request, response };

      const header = Object.entries(response.headers).find(([k]) => k.toLowerCase() === 'link')?.[1];
      const next = parseLinkHeader(header).find((l) => l.rel.includes(rel));
      if (!next || next.url === '') return;
      const url = sameOriginNextUrl(next.url, response.url, context, guard);
      guard.next(url);
      request = { method: first.method, url, query: {}, body: first.body };
    }
  }
}
