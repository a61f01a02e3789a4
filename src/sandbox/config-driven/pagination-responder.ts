/**
 * One page of a list, answered exactly as the entity's pagination config describes: where the client's page size,
 * cursor, token, offset or page number arrive (query, or a dotted path in the JSON body), and where the records and
 * the continuation go in the answer (response paths, `Link` header, next-page URL).
 *
 * The continuation values the emulator hands out (cursors, tokens, next links) are opaque offsets into the list; a
 * value the emulator never handed out is a 400, as a platform answers an invalid cursor.
 */
import { getPath } from '../../runtime/dotted-path.js';
import type { PaginationKind } from '../../runtime/pagination/pagination-kinds.js';
import type { PaginationConfig } from '../../runtime/platform-schema.js';
import type { EmulatorRequest, EmulatorResponse } from '../emulator-server.js';
import { type Row, setDeep } from './record-synthesizer.js';

/** Query parameter the emulator's own next links carry (link-header and next-url pagination). */
export const NEXT_LINK_PARAM = 'emulator_cursor';

export interface PageRequestContext {
  request: EmulatorRequest;
  pagination: PaginationConfig;
  /** Where the records go in the answer (`''`: the answer is the array). */
  recordsPath: string;
  /** Record id path (cursor from the last record). */
  idField: string;
  /** Every record of the list, in order (already filtered). */
  records: readonly Row[];
  /** Page size when the request names none (the platform decides: Salesforce batches, Google Ads pages). */
  defaultPageSize: number;
  /** next-url pagination: hand out links relative to the host (Salesforce `nextRecordsUrl`) instead of absolute. */
  relativeNextUrl: boolean;
  /**
   * The cursor or token value the first request carries as a static query value, meaning "from the start"
   * (Walmart's `nextCursor=*`).
   */
  startValue?: string | undefined;
}

/** An answered page, or a refusal of the request's paging parameters. */
export type PageOutcome =
  | { ok: true; response: EmulatorResponse; records: Row[]; offset: number }
  | { ok: false; response: EmulatorResponse };

/** Continuation values are opaque: base64url of the offset. */
export function encodeOffset(offset: number): string {
  return Buffer.from(`offset:${offset}`, 'utf8').toString('base64url');
}

/** The offset in a continuation value, or `undefined` when the emulator did not hand it out. */
export function decodeOffset(value: string): number | undefined {
  const text = Buffer.from(value, 'base64url').toString('utf8');
  const m = /^offset:(\d+)$/.exec(text);
  return m ? Number(m[1]) : undefined;
}

function badRequest(message: string): PageOutcome {
  return { ok: false, response: { status: 400, body: { error: { code: 'invalid_pagination', message } } } };
}

/** A paging parameter from the query, or (dotted) from the JSON body; `undefined` when absent. */
function readParam(request: EmulatorRequest, location: 'query' | 'body', name: string): string | undefined {
  if (location === 'query') return request.url.searchParams.get(name) ?? undefined;
  const value = getPath(request.body, name);
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
}

function pageSize(ctx: PageRequestContext, location: 'query' | 'body'): number | PageOutcome {
  const { pagination } = ctx;
  if (pagination.kind === 'none') return ctx.records.length;
  const raw = pagination.limitParam ? readParam(ctx.request, location, pagination.limitParam) : undefined;
  if (raw === undefined) return ctx.defaultPageSize;
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 1) {
    return badRequest(`${pagination.limitParam} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return pagination.maxLimit === undefined ? size : Math.min(size, pagination.maxLimit);
}

/** The request's absolute URL with the emulator's continuation (and the page size) set. */
function nextLink(ctx: PageRequestContext, offset: number, size: number, relative: boolean): string {
  const url = new URL(ctx.request.url);
  url.searchParams.set(NEXT_LINK_PARAM, encodeOffset(offset));
  const limitParam = ctx.pagination.kind === 'none' ? undefined : ctx.pagination.limitParam;
  if (limitParam) url.searchParams.set(limitParam, String(size));
  return relative ? `${url.pathname}${url.search}` : url.toString();
}

function page(body: unknown, records: Row[], offset: number, headers?: Record<string, string>) {
  return { ok: true as const, response: { status: 200, body, ...(headers ? { headers } : {}) }, records, offset };
}

/** The answer body: the records at `recordsPath`, then each metadata value at its path. */
function assemble(ctx: PageRequestContext, records: Row[], metadata: ReadonlyArray<[string, unknown]>): unknown {
  const present = metadata.filter(([, value]) => value !== undefined);
  if (ctx.recordsPath === '') {
    if (present.length > 0) {
      throw new Error(
        `the records are the whole answer (recordsPath ""), so ${present.map(([p]) => `"${p}"`).join(', ')} has nowhere to go`,
      );
    }
    return records;
  }
  const body: Row = {};
  setDeep(body, ctx.recordsPath, records);
  for (const [path, value] of present) setDeep(body, path, value);
  return body;
}

/**
 * Answers one list request.
 *
 * @example
 * respondPage({ request, pagination: { kind: 'offset', offsetParam: 'offset', limitParam: 'limit', totalPath: 'total' },
 *   recordsPath: 'items', idField: 'id', records, defaultPageSize: 10, relativeNextUrl: false });
 * // { ok: true, response: { status: 200, body: { items: [...10], total: 25 } }, … }
 */
export function respondPage(ctx: PageRequestContext): PageOutcome {
  const responder = responderOf(ctx.pagination);
  const location = responder.location?.(ctx.pagination) ?? 'query';
  const sized = pageSize(ctx, location);
  if (typeof sized !== 'number') return sized;
  const size = sized;
  return responder.respond(ctx.pagination, {
    ...ctx,
    size,
    slice: (start) => ctx.records.slice(start, start + size) as Row[],
  });
}

type PaginationOf<K extends PaginationKind> = Extract<PaginationConfig, { kind: K }>;

/** A page request with its page size decided. */
interface SizedPageContext extends PageRequestContext {
  size: number;
  /** The page of records from an offset. */
  slice(start: number): Row[];
}

/** The request parameters a kind's paginator sets, which vary from page to page (the rest of a request does not). */
export interface PagingParameters {
  /** Query parameter names. */
  query: string[];
  /** Dotted JSON body paths. */
  body: string[];
  /**
   * The query parameter whose static value in an entity's config means "from the start" on the first request
   * (Walmart's `nextCursor=*`).
   */
  startQuery?: string;
}

/** The platform side of one pagination kind. */
interface PageResponder<K extends PaginationKind> {
  /** Where the request's paging parameters are (default the query). */
  location?(pg: PaginationOf<K>): 'query' | 'body';
  /** The parameters the client's paginator sets. */
  parameters(pg: PaginationOf<K>): PagingParameters;
  respond(pg: PaginationOf<K>, ctx: SizedPageContext): PageOutcome;
}

/** Cursor and token pagination read their parameters from the JSON body when `in` is `body`. */
const paramLocation = (pg: { in: 'query' | 'body' }) => pg.in;

/** The page-size parameter (where the kind has one) and the kind's own, in the query. */
const inQuery = (pg: { limitParam?: string | undefined }, ...own: string[]): PagingParameters => ({
  query: pg.limitParam ? [...own, pg.limitParam] : own,
  body: [],
});

/** Cursor and token pagination: the continuation parameter and page size, where `in` says, and its start value. */
const continued = (pg: { in: 'query' | 'body'; limitParam?: string | undefined }, param: string): PagingParameters => {
  const names = pg.limitParam ? [param, pg.limitParam] : [param];
  return pg.in === 'query' ? { query: names, body: [], startQuery: param } : { query: [], body: names };
};

/** Link-header and next-url pagination: the emulator's own links carry the offset. */
function linkedPage(ctx: SizedPageContext): { rows: Row[]; offset: number; end: number; more: boolean } | PageOutcome {
  const raw = ctx.request.url.searchParams.get(NEXT_LINK_PARAM);
  const offset = raw === null ? 0 : decodeOffset(raw);
  if (offset === undefined) return badRequest(`${NEXT_LINK_PARAM}: invalid page link`);
  const rows = ctx.slice(offset);
  const end = offset + rows.length;
  return { rows, offset, end, more: end < ctx.records.length };
}

/** Keyed by pagination kind: the type makes a kind without its responder a compile error. */
const PAGE_RESPONDERS: { readonly [K in PaginationKind]: PageResponder<K> } = {
  none: {
    parameters: () => ({ query: [], body: [] }),
    respond: (_, ctx) => page(assemble(ctx, [...ctx.records], []), [...ctx.records], 0),
  },

  offset: {
    parameters: (pg) => inQuery(pg, pg.offsetParam),
    respond: (pg, ctx) => {
      const raw = ctx.request.url.searchParams.get(pg.offsetParam);
      const offset = raw === null ? 0 : Number(raw);
      if (!Number.isInteger(offset) || offset < 0) return badRequest(`${pg.offsetParam} must be an integer ≥ 0`);
      const rows = ctx.slice(offset);
      return page(assemble(ctx, rows, pg.totalPath ? [[pg.totalPath, ctx.records.length]] : []), rows, offset);
    },
  },

  page: {
    parameters: (pg) => inQuery(pg, pg.pageParam),
    respond: (pg, ctx) => {
      const raw = ctx.request.url.searchParams.get(pg.pageParam);
      const number = raw === null ? pg.firstPage : Number(raw);
      if (!Number.isInteger(number) || number < pg.firstPage) {
        return badRequest(`${pg.pageParam} must be an integer ≥ ${pg.firstPage}`);
      }
      const offset = (number - pg.firstPage) * ctx.size;
      const rows = ctx.slice(offset);
      const totalPages = Math.ceil(ctx.records.length / ctx.size);
      return page(assemble(ctx, rows, pg.totalPagesPath ? [[pg.totalPagesPath, totalPages]] : []), rows, offset);
    },
  },

  cursor: {
    location: paramLocation,
    parameters: (pg) => continued(pg, pg.cursorParam),
    respond: (pg, ctx) => {
      const { records } = ctx;
      const given = readParam(ctx.request, pg.in, pg.cursorParam);
      const cursor = given === ctx.startValue ? undefined : given;
      let offset = 0;
      if (cursor !== undefined && pg.cursorFrom === 'last-record') {
        const at = records.findIndex((r) => String(getPath(r, ctx.idField)) === cursor);
        if (at < 0) return badRequest(`${pg.cursorParam}: no record with id ${JSON.stringify(cursor)}`);
        offset = at + 1;
      } else if (cursor !== undefined) {
        const decoded = decodeOffset(cursor);
        if (decoded === undefined) return badRequest(`${pg.cursorParam}: invalid cursor`);
        offset = decoded;
      }
      const rows = ctx.slice(offset);
      const end = offset + rows.length;
      const more = end < records.length;
      const metadata: Array<[string, unknown]> = [];
      if (pg.hasMorePath) metadata.push([pg.hasMorePath, more]);
      if (pg.cursorFrom === 'response' && pg.nextCursorPath) {
        // With a has-more flag the last page still names its end cursor (GraphQL `pageInfo.endCursor`); without
        // one, the absent cursor is what ends the list.
        metadata.push([pg.nextCursorPath, more || pg.hasMorePath ? encodeOffset(end) : null]);
      }
      return page(assemble(ctx, rows, metadata), rows, offset);
    },
  },

  token: {
    location: paramLocation,
    parameters: (pg) => continued(pg, pg.tokenParam),
    respond: (pg, ctx) => {
      const given = readParam(ctx.request, pg.in, pg.tokenParam);
      const token = given === ctx.startValue ? undefined : given;
      const offset = token === undefined ? 0 : decodeOffset(token);
      if (offset === undefined) return badRequest(`${pg.tokenParam}: invalid page token`);
      const rows = ctx.slice(offset);
      const end = offset + rows.length;
      const next = end < ctx.records.length ? encodeOffset(end) : undefined;
      return page(assemble(ctx, rows, [[pg.nextTokenPath, next]]), rows, offset);
    },
  },

  'next-url': {
    parameters: (pg) => inQuery(pg),
    respond: (pg, ctx) => {
      const linked = linkedPage(ctx);
      if ('ok' in linked) return linked;
      const { rows, offset, end, more } = linked;
      const next = more ? nextLink(ctx, end, ctx.size, ctx.relativeNextUrl) : undefined;
      return page(assemble(ctx, rows, [[pg.nextUrlPath, next]]), rows, offset);
    },
  },

  'link-header': {
    parameters: (pg) => inQuery(pg),
    respond: (pg, ctx) => {
      const linked = linkedPage(ctx);
      if ('ok' in linked) return linked;
      const { rows, offset, end, more } = linked;
      // RFC 8288: several link-values in one header; the paginator must pick the configured relation.
      const links: string[] = [];
      if (offset > 0) links.push(`<${nextLink(ctx, Math.max(0, offset - ctx.size), ctx.size, false)}>; rel="prev"`);
      if (more) links.push(`<${nextLink(ctx, end, ctx.size, false)}>; rel="${pg.rel}"`);
      return page(assemble(ctx, rows, []), rows, offset, links.length > 0 ? { link: links.join(', ') } : undefined);
    },
  },
};

/** The responder of a config's kind. (The one cast of the dispatch: it is picked by the config's own `kind`.) */
function responderOf(pagination: PaginationConfig): PageResponder<PaginationKind> {
  return PAGE_RESPONDERS[pagination.kind] as PageResponder<PaginationKind>;
}

/**
 * The request parameters a config's paginator sets: a static value an entity's config gives for one of them is the
 * first request's, and later pages' requests carry others.
 *
 * @example
 * pagingParametersOf({ kind: 'offset', offsetParam: 'offset', limitParam: 'limit' });
 * // { query: ['offset', 'limit'], body: [] }
 */
export function pagingParametersOf(pagination: PaginationConfig): PagingParameters {
  return responderOf(pagination).parameters(pagination);
}
