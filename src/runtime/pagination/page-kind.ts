/** The `page` pagination kind: a page-number parameter from `firstPage` on. */
import { z } from 'zod';
import { jsonPointerPath } from '../schema-primitives.js';
import { PagePaginator } from './page-paginator.js';
import { limitFields, type PaginationKindDefinition } from './pagination-kind.js';

export const pagePaginationSchema = z
  .object({
    kind: z.literal('page'),
    pageParam: z.string().min(1),
    firstPage: z.number().int().min(0).default(1),
    totalPagesPath: jsonPointerPath.optional(),
    ...limitFields,
  })
  .strict();

/**
 * @example
 * pageKind.create({ kind: 'page', pageParam: 'page', firstPage: 1, limitParam: 'per_page' });
 */
export const pageKind: PaginationKindDefinition<typeof pagePaginationSchema> = {
  schema: pagePaginationSchema,
  create: (config) => new PagePaginator(config),
};
