/** The `link-header` pagination kind: the next page's URL in an RFC 8288 `Link` header. */
import { z } from 'zod';
import { LinkHeaderPaginator } from './link-header-paginator.js';
import { limitFields, maxEmptyPages, type PaginationKindDefinition } from './pagination-kind.js';

export const linkHeaderPaginationSchema = z
  .object({
    kind: z.literal('link-header'),
    maxEmptyPages,
    rel: z.string().min(1).default('next'),
    ...limitFields,
  })
  .strict();

/**
 * @example
 * linkHeaderKind.create({ kind: 'link-header', rel: 'next', limitParam: 'per_page' });
 */
export const linkHeaderKind: PaginationKindDefinition<typeof linkHeaderPaginationSchema> = {
  schema: linkHeaderPaginationSchema,
  create: (config) => new LinkHeaderPaginator(config),
};
