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
    for (let number = 1; ; number++) {
      const page = config.firstPage + number - 1;
      const request = withParam(base, 'query', config.pageParam, page);
      const response = await context.fetchPage(request);
      const records = context.recordsOf(response.body);
      guard.page(records);
      yield { number, records, request, response };

      if (records.length === 0) return;
      const totalPages = config.totalPagesPath ? numberAt(response.body, config.totalPagesPath) : undefined;
      if (totalPages !== undefined && number >= totalPages) return;
    }
  }
}
