/**
 * Offset pagination: `offset` advances by the records actually received (a server that returns fewer than asked
 * is not skipped past). Reading stops at an empty page, or once the offset reaches the total the platform
 * reports; a short page alone never ends it.
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

export type OffsetPaginationConfig = Extract<PaginationConfig, { kind: 'offset' }>;

/**
 * @example
 * new OffsetPaginator({ kind: 'offset', offsetParam: 'offset', limitParam: 'limit', totalPath: 'total' });
 */
export class OffsetPaginator implements Paginator {
  readonly config: OffsetPaginationConfig;

  constructor(config: OffsetPaginationConfig) {
    this.config = config;
  }

  async *pages(first: PageRequest, context: PaginationContext): AsyncGenerator<Page, void, undefined> {
    const { config } = this;
    const guard: LoopGuard = new LoopGuard(context, 'offset', 'offset');
    // A listing resumed from a page's `next` request starts at the offset that request carries.
    let offset = Number(first.query[config.offsetParam] ?? 0) || 0;
    const base = withPageSize(first, config, context);
    for (let number = 1; ; number++) {
      const request = withParam(base, 'query', config.offsetParam, offset);
      const response = await context.fetchPage(request);
      const records = context.recordsOf(response.body);
      guard.page(records);
      const total = config.totalPath ? numberAt(response.body, config.totalPath) : undefined;
      const nextOffset = offset + records.length;
      const more = records.length > 0 && !(total !== undefined && nextOffset >= total);
      const next = more ? withParam(base, 'query', config.offsetParam, nextOffset) : undefined;
      yield { number, records, request, response, next };
      if (!more) return;
      offset = nextOffset;
    }
  }
}
