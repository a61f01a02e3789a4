/** Every pagination kind, by its `kind`: the one place a new kind is registered (its module holds the rest). */
import type { z } from 'zod';
import type { PaginationConfig } from '../platform-schema.js';
import { cursorKind } from './cursor-kind.js';
import { linkHeaderKind } from './link-header-kind.js';
import { nextUrlKind } from './next-url-kind.js';
import { noneKind } from './none-kind.js';
import { offsetKind } from './offset-kind.js';
import { pageKind } from './page-kind.js';
import type { PaginationKindDefinition, PaginationKindSchema } from './pagination-kind.js';
import { tokenKind } from './token-kind.js';

/**
 * In the order the config schema lists them. A key that is not its schema's `kind` literal is a compile error
 * ({@link PaginationKindTable}); tables elsewhere keyed by `PaginationKind` fail to compile until a new kind is in
 * them.
 */
export const PAGINATION_KINDS = {
  cursor: cursorKind,
  offset: offsetKind,
  page: pageKind,
  'link-header': linkHeaderKind,
  'next-url': nextUrlKind,
  token: tokenKind,
  none: noneKind,
} as const;

export type PaginationKind = keyof typeof PAGINATION_KINDS;

/** Each entry is a definition whose schema parses the `kind` it is filed under. */
type KindTable<T> = {
  readonly [K in keyof T]: PaginationKindDefinition<PaginationKindSchema & z.ZodType<{ kind: K }>>;
};
type Checked<T extends KindTable<T>> = T;

/** {@link PAGINATION_KINDS}, checked against {@link KindTable} at compile time. */
export type PaginationKindTable = Checked<typeof PAGINATION_KINDS>;

/** The pagination kinds' names, in table order. */
export const PAGINATION_KIND_NAMES = Object.keys(PAGINATION_KINDS) as PaginationKind[];

type AnyPaginationKindSchema = (typeof PAGINATION_KINDS)[PaginationKind]['schema'];

/** Every kind's config schema, in table order: the options of the platform schema's `pagination` union. */
export const PAGINATION_KIND_SCHEMAS = PAGINATION_KIND_NAMES.map((kind) => PAGINATION_KINDS[kind].schema) as [
  AnyPaginationKindSchema,
  ...AnyPaginationKindSchema[],
];

/**
 * The definition of a config's kind. (The one cast of the dispatch: the definition is picked by the config's own
 * `kind`, so its methods take that config.)
 *
 * @example
 * paginationKindOf(entity.pagination ?? meta.pagination).create(config);
 */
export function paginationKindOf(config: PaginationConfig): PaginationKindDefinition<z.ZodType<PaginationConfig>> {
  return PAGINATION_KINDS[config.kind] as unknown as PaginationKindDefinition<z.ZodType<PaginationConfig>>;
}
