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
  settle,
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
      const current = request;
      const { next, failure } = settle(() => {
        const token = stringAt(response.body, config.nextTokenPath);
        if (token === undefined) return undefined;
        guard.next(token);
        return withParam(current, config.in, config.tokenParam, token);
      });
      yield { number, records, request, response, next };
      if (failure !== undefined) throw failure;
      if (next === undefined) return;
      request = next;
    }
  }
}
