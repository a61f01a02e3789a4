/** The `none` pagination kind: the list comes in one answer (`reason` says why that is all). */
import { z } from 'zod';
import { NonePaginator } from './none-paginator.js';
import type { PaginationKindDefinition } from './pagination-kind.js';

export const nonePaginationSchema = z.object({ kind: z.literal('none'), reason: z.string().min(1) }).strict();

/**
 * @example
 * noneKind.create({ kind: 'none', reason: 'the endpoint returns every record' });
 */
export const noneKind: PaginationKindDefinition<typeof nonePaginationSchema> = {
  schema: nonePaginationSchema,
  create: () => new NonePaginator(),
};
