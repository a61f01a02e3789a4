/** The paginator for a pagination config. */
import type { PaginationConfig } from '../platform-schema.js';
import { CursorPaginator } from './cursor-paginator.js';
import { LinkHeaderPaginator } from './link-header-paginator.js';
import { NextUrlPaginator } from './next-url-paginator.js';
import { NonePaginator } from './none-paginator.js';
import { OffsetPaginator } from './offset-paginator.js';
import { PagePaginator } from './page-paginator.js';
import type { Paginator } from './paginator.js';
import { TokenPaginator } from './token-paginator.js';

/**
 * @example
 * const paginator = createPaginator(entity.pagination ?? meta.pagination);
 */
export function createPaginator(config: PaginationConfig): Paginator {
  switch (config.kind) {
    case 'cursor':
      return new CursorPaginator(config);
    case 'offset':
      return new OffsetPaginator(config);
    case 'page':
      return new PagePaginator(config);
    case 'link-header':
      return new LinkHeaderPaginator(config);
    case 'next-url':
      return new NextUrlPaginator(config);
    case 'token':
      return new TokenPaginator(config);
    case 'none':
      return new NonePaginator();
  }
}
