/** The paginator for a pagination config, from its kind's definition (see `pagination-kinds.ts`). */

import type { PaginationConfig } from '../platform-schema.js';
import { paginationKindOf } from './pagination-kinds.js';
import type { Paginator } from './paginator.js';

/**
 * @example
 * const paginator = createPaginator(entity.pagination ?? meta.pagination);
 */
export function createPaginator(config: PaginationConfig): Paginator {
  return paginationKindOf(config).create(config);
}
