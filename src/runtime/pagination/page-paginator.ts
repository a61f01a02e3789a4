/**
 * Page-number pagination: `page` counts up from `firstPage`. Reading stops at an empty page, or after the last
 * page the platform reports (`totalPagesPath`); a short page alone never ends it.
 */
import type { PaginationConfig } from '../platform-schema.js';
import {
  LoopGuard,
  numberAt,
  type Page,
  type PageRequest,
  type PaginationContext,
  type Paginator,
  withPageSize,
  withParam,
} from './paginator.js';

export type PagePaginationConfig = Extract<PaginationConfig, { kind: 'page' }>;

/**
 * @example
 * new PagePaginator({ kind: 'page', pageParam: 'page', firstPage: 1, limitParam: 'per_page', totalPagesPath: 'meta.pages' });
 */
export class PagePaginator implements Paginator {
  readonly config: PagePaginationConfig;

  constructor(config: PagePaginationConfig) {
    this.config = config;
  }

  async *pages(first: PageRequest, context: PaginationContext): AsyncGenerator<Page, void, undefined> {
    const { config } = this;
    const guard: LoopGuard = new LoopGuard(context, 'page', 'page');
    const base = withPageSize(first, config, context);
    // A listing resumed from a page's `next` request starts at the page number that request carries.
    const startPage = Number(first.query[config.pageParam] ?? config.firstPage);
    const start = Number.isFinite(startPage) ? startPage : config.firstPage;
    for (let number = 1; ; number++) {
      const page = start + number - 1;
      const request = withParam(base, 'query', config.pageParam, page);
      const response = await context.fetchPage(request);
      const records = context.recordsOf(response.body);
      guard.page(records);
      const totalPages = config.totalPagesPath ? numberAt(response.body, config.totalPagesPath) : undefined;
      const last = totalPages !== undefined && page - config.firstPage + 1 >= totalPages;
      const more = records.length > 0 && !last;
      const next = more ? withParam(base, 'query', config.pageParam, page + 1) : undefined;
      yield { number, records, request, response, next };
      if (!more) return;
    }
  }
}
