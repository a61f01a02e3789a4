/** Endpoints that return everything in one response. */
import type { Page, PageRequest, PaginationContext, Paginator } from './paginator.js';

/**
 * @example
 * new NonePaginator(); // one request, one page
 */
export class NonePaginator implements Paginator {
  async *pages(first: PageRequest, context: PaginationContext): AsyncGenerator<Page, void, undefined> {
    const response = await context.fetchPage(first);
    yield { number: 1, records: context.recordsOf(response.body), request: first, response, next: undefined };
  }
}
