/** The `next-url` pagination kind: the next page's URL at a response path. */
import { z } from 'zod';
import { jsonPointerPath } from '../schema-primitives.js';
import { NextUrlPaginator } from './next-url-paginator.js';
import { limitFields, type PaginationKindDefinition } from './pagination-kind.js';

export const nextUrlPaginationSchema = z
  .object({
    kind: z.literal('next-url'),
    /** Response path of the next page's URL (absolute, or relative to the host). */
    nextUrlPath: jsonPointerPath,
    ...limitFields,
  })
  .strict();

/**
 * @example
 * nextUrlKind.create({ kind: 'next-url', nextUrlPath: 'nextRecordsUrl' });
 */
export const nextUrlKind: PaginationKindDefinition<typeof nextUrlPaginationSchema> = {
  schema: nextUrlPaginationSchema,
  create: (config) => new NextUrlPaginator(config),
};
