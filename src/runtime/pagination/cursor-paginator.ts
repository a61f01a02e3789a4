/**
 * Cursor pagination: the next cursor comes from a response path (HubSpot `paging.next.after`, GraphQL
 * `pageInfo.endCursor`) or is the id of the page's last record while a has-more flag is true (Stripe `has_more` +
 * `starting_after`). The cursor goes in the query or, for POST search endpoints, in the JSON body (dotted paths
 * allowed, e.g. `variables.after`).
 */
import type { PaginationConfig } from '../platform-schema.js';
import {
  booleanAt,
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

export type CursorPaginationConfig = Extract<PaginationConfig, { kind: 'cursor' }>;

/**
 * @example
 * const paginator = new CursorPaginator({ kind: 'cursor', cursorParam: 'starting_after', in: 'query',
 *   cursorFrom: 'last-record', hasMorePath: 'has_more', limitParam: 'limit' });
 * for await (const page of paginator.pages(first, context)) console.log(page.records.length);
 */
export class CursorPaginator implements Paginator {
  readonly config: CursorPaginationConfig;

  constructor(config: CursorPaginationConfig) {
    this.config = config;
  }

  async *pages(first: PageRequest, context: PaginationContext): AsyncGenerator<Page, void, undefined> {
    const { config } = this;
    const guard: LoopGuard = new LoopGuard(context, 'cursor', 'cursor');
    let request = withPageSize(first, config, context, config.in);
    for (let number = 1; ; number++) {
      const response = await context.fetchPage(request);
      const records = context.recordsOf(response.body);
      guard.page(records);
      const current = request;
      const { next, failure } = settle(() => {
        const hasMore = config.hasMorePath ? booleanAt(response.body, config.hasMorePath) : undefined;
        if (hasMore === false) return undefined;
        // An empty page that does not say more exist ends the list, even when it still carries a cursor (Neon).
        if (records.length === 0 && hasMore !== true) return undefined;
        let cursor: string | undefined;
        if (config.cursorFrom === 'last-record') {
          if (hasMore === undefined)
            guard.fail(`the page has no boolean at "${config.hasMorePath ?? ''}" to say whether more exist`);
          const last = records.at(-1);
          if (last === undefined)
            guard.fail('the platform says more records exist but sent an empty page to continue from');
          cursor = stringAt(last, context.idField);
          if (cursor === undefined) guard.fail(`the last record has no "${context.idField}" to continue from`);
        } else {
          cursor = stringAt(response.body, config.nextCursorPath ?? '');
          if (cursor === undefined) {
            if (hasMore === true)
              guard.fail(`the platform says more records exist but sent no cursor at "${config.nextCursorPath ?? ''}"`);
            return undefined;
          }
        }
        guard.next(cursor);
        return withParam(current, config.in, config.cursorParam, cursor);
      });
      yield { number, records, request, response, next };
      if (failure !== undefined) throw failure;
      if (next === undefined) return;
      request = next;
    }
  }
}
