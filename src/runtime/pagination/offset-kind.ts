/** The `offset` pagination kind: an offset parameter advanced by the records received. */
import { z } from 'zod';
import { jsonPointerPath } from '../schema-primitives.js';
import { OffsetPaginator } from './offset-paginator.js';
import { limitFields, type PaginationKindDefinition } from './pagination-kind.js';

export const offsetPaginationSchema = z
  .object({
    kind: z.literal('offset'),
    offsetParam: z.string().min(1),
    totalPath: jsonPointerPath.optional(),
    ...limitFields,
  })
  .strict();

/**
 * @example
 * offsetKind.create({ kind: 'offset', offsetParam: 'offset', limitParam: 'limit' });
 */
export const offsetKind: PaginationKindDefinition<typeof offsetPaginationSchema> = {
  schema: offsetPaginationSchema,
  create: (config) => new OffsetPaginator(config),
};
