/**
 * The small interface every pagination variant implements: an async generator of pages that fetches the next page
 * only when asked, and refuses to loop.
 */
import { createHash } from 'node:crypto';
import { getPath, setPath } from '../dotted-path.js';
import { PaginationError } from '../errors.js';
import type { PaginationConfig } from '../platform-schema.js';
import { redactUrl } from '../secret-redaction.js';

/** One page request: the first comes from the entity config, the rest from the paginator. */
export interface PageRequest {
  method: 'GET' | 'POST';
  /** Path relative to the base URL, or an absolute URL (next-page links). */
  url: string;
  query: Record<string, string>;
  body?: Record<string, unknown> | undefined;
}

export interface PageResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** The URL that was requested (without auth parameters); relative links resolve against it. */
  url: string;
}

export interface PaginationContext {
  /** Sends one page request. */
  fetchPage(request: PageRequest): Promise<PageResponse>;
  /** The records of a page body (from the entity's `recordsPath`). */
  recordsOf(body: unknown): unknown[];
  /** Record field with the id (cursor from the last record). */
  idField: string;
  /** Records per page to ask for; `undefined` leaves the platform's default. */
  pageSize?: number | undefined;
  /** The adapter's base URL: next links must stay on its origin. */
  baseUrl: string;
  platformId: string;
  entity: string;
  /** Consecutive pages without records a listing may get while the platform says more exist (see LoopGuard). */
  maxEmptyPages?: number | undefined;
  /** Pages one listing may fetch (default {@link DEFAULT_MAX_PAGES}). */
  maxPages?: number | undefined;
}

export interface Page {
  /** 1-based. */
  number: number;
  records: unknown[];
  request: PageRequest;
  response: PageResponse;
  /**
   * The request for the page after this one, `undefined` at the end: a listing can stop here and resume later
   * (`BaseAdapter.page(entity, { from: page.next })`). When the platform's answer does not let the listing go on
   * (a repeated cursor, a next link elsewhere), the error is thrown after this page has been handed out.
   */
  next: PageRequest | undefined;
}

export interface Paginator {
  /**
   * Pages, lazily: page n+1 is requested only after page n has been consumed.
   * @throws PaginationError on a repeated cursor/URL/token, an identical consecutive page, or a next link elsewhere.
   */
  pages(first: PageRequest, context: PaginationContext): AsyncGenerator<Page, void, undefined>;
}

/**
 * Runs a paginator's "what comes next" step before it yields a page, keeping a failure for after the page has been
 * handed out (its records are good; only going on is not).
 */
export function settle(advance: () => PageRequest | undefined): { next: PageRequest | undefined; failure?: unknown } {
  try {
    return { next: advance() };
  } catch (failure) {
    return { next: undefined, failure };
  }
}

/** Where a paginator puts its parameters. */
export type ParamLocation = 'query' | 'body';

/** A copy of the request with a parameter set in the query or (dotted path) in the JSON body. */
export function withParam(
  request: PageRequest,
  location: ParamLocation,
  name: string,
  value: string | number,
): PageRequest {
  if (location === 'body') return { ...request, body: setPath(request.body ?? {}, name, value) };
  return { ...request, query: { ...request.query, [name]: String(value) } };
}

/** The request with the page-size parameter, when there is one and a size was asked for. */
export function withPageSize(
  request: PageRequest,
  config: { limitParam?: string | undefined },
  context: PaginationContext,
  location: ParamLocation = 'query',
): PageRequest {
  if (!config.limitParam || context.pageSize === undefined) return request;
  return withParam(request, location, config.limitParam, context.pageSize);
}

/** A string at a dotted path of a page body, or `undefined` when absent, null or empty. */
export function stringAt(body: unknown, path: string): string | undefined {
  const value = getPath(body, path);
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** A number at a dotted path (numeric strings accepted). */
export function numberAt(body: unknown, path: string): number | undefined {
  const value = getPath(body, path);
  const n =
    typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** A boolean at a dotted path (`"true"`/`"false"` accepted). */
export function booleanAt(body: unknown, path: string): boolean | undefined {
  const value = getPath(body, path);
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/**
 * How many pages in a row may come without records while the platform still says more exist, per pagination kind.
 * Some platforms do send a few (a filtered scan that skipped a whole page, Google APIs between shards), so the caps
 * leave room for that; a platform that keeps doing it with a fresh cursor, token or link each time would otherwise
 * be followed forever inside one `next()` (a `limit` counts records, so it never stops it). Offset, page and
 * next-URL listings already end at their first empty page. A platform's `pagination.maxEmptyPages` or the adapter
 * option `pagination.maxEmptyPages` replaces the default.
 */
export const DEFAULT_MAX_EMPTY_PAGES: Readonly<Record<PaginationConfig['kind'], number>> = Object.freeze({
  cursor: 25,
  token: 100,
  'link-header': 25,
  'next-url': 1,
  offset: 1,
  page: 1,
  none: 1,
});

/** Pages one listing may fetch before a `PaginationError`: a backstop, 10 million records at 100 a page. */
export const DEFAULT_MAX_PAGES = 100_000;

/**
 * The loop guard every paginator uses: a cursor, URL or token seen before, or a page identical to the one before
 * it, means the platform is not advancing; reading on would never end, so it is a `PaginationError`. It also
 * bounds runs of empty pages and the pages of one listing (see {@link DEFAULT_MAX_EMPTY_PAGES}).
 */
export class LoopGuard {
  readonly #context: PaginationContext;
  readonly #what: string;
  readonly #seen = new Set<string>();
  readonly #maxEmptyPages: number;
  readonly #maxPages: number;
  #previousPage: string | undefined;
  #emptyRun = 0;
  #pages = 0;

  /** `kind` picks the default cap on empty pages; the context's `maxEmptyPages` replaces it. */
  constructor(context: PaginationContext, what: string, kind: PaginationConfig['kind'] = 'cursor') {
    this.#context = context;
    this.#what = what;
    this.#maxEmptyPages = context.maxEmptyPages ?? DEFAULT_MAX_EMPTY_PAGES[kind];
    this.#maxPages = context.maxPages ?? DEFAULT_MAX_PAGES;
  }

  /** Records a continuation value; throws if it was seen before. */
  next(value: string): void {
    if (this.#seen.has(value)) {
      const shown = this.#what === 'URL' ? redactUrl(value) : value.length > 60 ? `${value.slice(0, 60)}…` : value;
      this.fail(
        `the platform returned the same ${this.#what} twice (${JSON.stringify(shown)}); stopping instead of looping`,
      );
    }
    this.#seen.add(value);
  }

  /**
   * Records a page's records; throws if they are the previous page's (non-empty) records again: the same ids in the
   * same order, or, for records without ids, the same content.
   */
  page(records: readonly unknown[]): void {
    this.#pages++;
    if (this.#pages > this.#maxPages) {
      this.fail(`the listing passed ${this.#maxPages} pages (maxPages); stopping instead of reading on without end`);
    }
    if (records.length === 0) {
      this.#previousPage = undefined;
      this.#emptyRun++;
      if (this.#emptyRun > this.#maxEmptyPages) {
        this.fail(
          `the platform sent ${this.#emptyRun} pages in a row without records while saying more exist (maxEmptyPages ${this.#maxEmptyPages}); stopping instead of looping`,
        );
      }
      return;
    }
    this.#emptyRun = 0;
    const ids = records.map((record) => getPath(record, this.#context.idField));
    // Records are at most MAX_JSON_DEPTH deep (the HTTP client refuses deeper bodies), so stringify cannot overflow.
    const digest = ids.every((id) => typeof id === 'string' || typeof id === 'number')
      ? ids.join('\u0000')
      : createHash('sha256').update(JSON.stringify(records)).digest('base64');
    if (digest === this.#previousPage) {
      this.fail('the platform returned the same page twice in a row; stopping instead of looping');
    }
    this.#previousPage = digest;
  }

  fail(message: string): never {
    const { platformId, entity } = this.#context;
    throw new PaginationError(`${platformId} ${entity}: ${message}`, { platformId, entity });
  }
}

/**
 * Resolves a next-page URL against the page that linked it and checks it stays on the base URL's origin.
 * @throws PaginationError for another origin (credentials must not follow it).
 */
export function sameOriginNextUrl(next: string, pageUrl: string, context: PaginationContext, guard: LoopGuard): string {
  let url: URL;
  try {
    url = new URL(next, pageUrl);
  } catch {
    guard.fail(`the next-page URL ${JSON.stringify(redactUrl(next))} is not a URL`);
  }
  const origin = new URL(context.baseUrl).origin;
  if (url.origin !== origin) {
    guard.fail(`the next-page URL points at ${url.origin}, not ${origin}; it is not followed`);
  }
  return url.toString();
}

/**
 * The request for a next-page link (a `Link` header or a next URL in the body): on the base URL's origin, never seen
 * before in this listing, sent as given (the first request's query is not repeated) with the first request's body.
 * @throws PaginationError for another origin or a link seen before.
 */
export function followLink(
  link: string,
  response: PageResponse,
  first: PageRequest,
  context: PaginationContext,
  guard: LoopGuard,
): PageRequest {
  const url = sameOriginNextUrl(link, response.url, context, guard);
  guard.next(url);
  return { method: first.method, url, query: {}, body: first.body };
}
