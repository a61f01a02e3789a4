/**
 * Next-URL pagination: the page body names the next page's URL, relative to the host (Salesforce
 * `nextRecordsUrl`) or absolute (Meta `paging.next`). It is followed as given; an absolute URL on another origin
 * than the base URL is a `PaginationError`, never followed.
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
  stringAt,
  withPageSize,
} from './paginator.js';

export type NextUrlPaginationConfig = Extract<PaginationConfig, { kind: 'next-url' }>;

/**
 * @example
 * new NextUrlPaginator({ kind: 'next-url', nextUrlPath: 'nextRecordsUrl' });
 */
export class NextUrlPaginator implements Paginator {
  readonly config: NextUrlPaginationConfig;

  constructor(config: NextUrlPaginationConfig) {
    this.config = config;
  }

  async *pages(first: PageRequest, context: PaginationContext): AsyncGenerator<Page, void, undefined> {
    const guard: LoopGuard = new LoopGuard(context, 'URL', 'next-url');
    let request = withPageSize(first, this.config, context);
    for (let number = 1; ; number++) {
      const response = await context.fetchPage(request);
      const records = context.recordsOf(response.body);
      guard.page(records);
      const { next, failure } = settle(() => {
        const link = stringAt(response.body, this.config.nextUrlPath);
        // Some platforms (Mailgun) always send a next link and end with an empty page.
        if (link === undefined || records.length === 0) return undefined;
        return followLink(link, response, first, context, guard);
      });
      yield { number, records, request, response, next };
      if (failure !== undefined) throw failure;
      if (next === undefined) return;
      request = next;
    }
  }
}
