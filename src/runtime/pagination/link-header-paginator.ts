/**
 * RFC 8288 `Link` header pagination (Shopify `page_info`, GitHub). The next link is followed as given: the
 * original filter parameters are not sent again (Shopify rejects them beside `page_info`), only what the link
 * carries. A link to another origin is a `PaginationError`, never followed.
 */
import type { PaginationConfig } from '../platform-schema.js';
import {
  followLink,
  LoopGuard,
  type Page,
  type PageRequest,
  type PaginationContext,
  type Paginator,
  settle,
  withPageSize,
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
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  while (i < text.length) {
    const open = text.indexOf('<', i);
    if (open < 0) break;
    const close = text.indexOf('>', open);
    if (close < 0) break;
    const url = text.slice(open + 1, close).trim();
    const params: Record<string, string> = {};
    i = close + 1;
    for (;;) {
      skipSpace();
      if (text[i] !== ';') break;
      i++;
      skipSpace();
      let name = '';
      while (i < text.length && !/[=;,\s]/.test(text[i] as string)) name += text[i++];
      skipSpace();
      let value = '';
      if (text[i] === '=') {
        i++;
        skipSpace();
        if (text[i] === '"') {
          i++;
          while (i < text.length && text[i] !== '"') {
            if (text[i] === '\\' && i + 1 < text.length) i++;
            value += text[i++];
          }
          i++; // closing quote
        } else {
          while (i < text.length && !/[;,\s]/.test(text[i] as string)) value += text[i++];
        }
      }
      const key = name.toLowerCase();
      if (key !== '' && !Object.hasOwn(params, key)) params[key] = value; // RFC 8288: only the first occurrence counts
    }
    links.push({ url, rel: (params.rel ?? '').toLowerCase().split(/\s+/).filter(Boolean), params });
    // Move to the next link-value (after the separating comma).
    while (i < text.length && text[i] !== ',') i++;
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
    const guard: LoopGuard = new LoopGuard(context, 'URL', 'link-header');
    let request = withPageSize(first, this.config, context);
    for (let number = 1; ; number++) {
      const response = await context.fetchPage(request);
      const records = context.recordsOf(response.body);
      guard.page(records);
      const { next, failure } = settle(() => {
        const header = Object.entries(response.headers).find(([k]) => k.toLowerCase() === 'link')?.[1];
        const link = parseLinkHeader(header).find((l) => l.rel.includes(rel));
        if (!link || link.url === '') return undefined;
        return followLink(link.url, response, first, context, guard);
      });
      yield { number, records, request, response, next };
      if (failure !== undefined) throw failure;
      if (next === undefined) return;
      request = next;
    }
  }
}
