/**
 * The small interface every pagination kind implements, in one module per kind (`cursor-kind.ts`, …): its config
 * schema, the paginator that follows it, and the cross-field rules its config must keep. `pagination-kinds.ts`
 * registers them; nothing else switches on `pagination.kind`.
 */
import { z } from 'zod';
import type { Paginator } from './paginator.js';

/** The schema of one pagination kind's config: an object with its `kind` literal. */
export type PaginationKindSchema = z.ZodType<{ kind: string }>;

/** A cross-field rule a pagination config breaks, at a path relative to the pagination config. */
export interface PaginationConfigIssue {
  path: readonly string[];
  message: string;
}

export interface PaginationKindDefinition<S extends PaginationKindSchema> {
  /** The config schema; `platform-schema.ts` builds the `pagination` union from every kind's. */
  readonly schema: S;
  /** The paginator that follows a listing of this kind. */
  create(config: z.output<S>): Paginator;
  /** Cross-field rules the shape alone cannot say. */
  issues?(config: z.output<S>): PaginationConfigIssue[];
}

/** The page-size fields most kinds share. */
export const limitFields = {
  limitParam: z.string().min(1).optional(),
  maxLimit: z.number().int().positive().optional(),
  defaultLimit: z.number().int().positive().optional(),
};

/**
 * Pages in a row without records the platform may send while saying more exist, where its docs say it does (a
 * filtered scan); default per kind in the runtime (`DEFAULT_MAX_EMPTY_PAGES`).
 */
export const maxEmptyPages = z.number().int().positive().optional();
