/** The `cursor` pagination kind: a cursor from a response path, or the last record's id while more exist. */
import { z } from 'zod';
import { jsonPointerPath } from '../schema-primitives.js';
import { CursorPaginator } from './cursor-paginator.js';
import {
  limitFields,
  maxEmptyPages,
  type PaginationConfigIssue,
  type PaginationKindDefinition,
} from './pagination-kind.js';

export const cursorPaginationSchema = z
  .object({
    kind: z.literal('cursor'),
    maxEmptyPages,
    /** Query parameter (or body field when `in` is `body`) that carries the cursor. */
    cursorParam: z.string().min(1),
    in: z.enum(['query', 'body']).default('query'),
    /** Where the next cursor comes from: a response path, or the id of the last record on the page. */
    cursorFrom: z.enum(['response', 'last-record']).default('response'),
    nextCursorPath: jsonPointerPath.optional(),
    /** Response path of a boolean that says whether more pages exist (Stripe `has_more`). */
    hasMorePath: jsonPointerPath.optional(),
    ...limitFields,
  })
  .strict();

/**
 * @example
 * cursorKind.create(cursorPaginationSchema.parse({ kind: 'cursor', cursorParam: 'after', nextCursorPath: 'next' }));
 */
export const cursorKind: PaginationKindDefinition<typeof cursorPaginationSchema> = {
  schema: cursorPaginationSchema,
  create: (config) => new CursorPaginator(config),
  issues: (config) => {
    const issues: PaginationConfigIssue[] = [];
    if (config.cursorFrom === 'response' && !config.nextCursorPath) {
      issues.push({ path: ['nextCursorPath'], message: 'is required when cursorFrom is "response"' });
    }
    if (config.cursorFrom === 'last-record' && !config.hasMorePath) {
      issues.push({ path: ['hasMorePath'], message: 'is required when cursorFrom is "last-record"' });
    }
    return issues;
  },
};
