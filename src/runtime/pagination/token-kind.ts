/** The `token` pagination kind: a page token from a response path, sent back in the query or the body. */
import { z } from 'zod';
import { jsonPointerPath } from '../schema-primitives.js';
import { limitFields, maxEmptyPages, type PaginationKindDefinition } from './pagination-kind.js';
import { TokenPaginator } from './token-paginator.js';

export const tokenPaginationSchema = z
  .object({
    kind: z.literal('token'),
    maxEmptyPages,
    tokenParam: z.string().min(1),
    in: z.enum(['query', 'body']).default('query'),
    nextTokenPath: jsonPointerPath,
    ...limitFields,
  })
  .strict();

/**
 * @example
 * tokenKind.create({ kind: 'token', tokenParam: 'pageToken', in: 'query', nextTokenPath: 'nextPageToken' });
 */
export const tokenKind: PaginationKindDefinition<typeof tokenPaginationSchema> = {
  schema: tokenPaginationSchema,
  create: (config) => new TokenPaginator(config),
};
