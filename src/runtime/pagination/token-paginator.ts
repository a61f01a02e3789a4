/**
 * Page-token pagination (Google `nextPageToken` → `pageToken`), in the query or the JSON body. Reading ends when
 * the platform sends no token; a token seen before is a `PaginationError`.
 */
import type { PaginationConfig } from '../platform-schema.js';
import {
  LoopGuard,
  type Page,
  type PageRequest,
  type PaginationContext,
  type Paginator,
  stringAt,
  withPageSize,
  withParam,
} from './paginator.js';

export type TokenPaginationConfig = Extract<PaginationConfig, { kind: 'token' }>;

/**
 * @example
 * new TokenPaginator({ kind: 'token', tokenParam: 'pageToken', in: 'body', nextTokenPath: 'nextPageToken' });
 */
export class TokenPaginator implements Paginator {
  readonly config: TokenPaginationConfig;

  constructor(config: TokenPaginationConfig) {
    this.config = config;
  }

  async *pages(first: PageRequest, context: PaginationContext): AsyncGenerator<Page, void, undefined> {
    const { config } = this;
    const guard: LoopGuard = new LoopGuard(context, 'page token', 'token');
    let request = withPageSize(first, config, context, config.in);
    for (let number = 1; ; number++) {
      const response = await context.fetchPage(request);
      const records = context.recordsOf(response.body);
      guard.page(records);
      yield { number, records, request, response };

      const token = stringAt(response.body, config.nextTokenPath);
      if (token === undefined) return;
      guard.next(token);
      request = withParam(request, config.in, config.tokenParam, token);
    }
  }
}
