/**
 * Issue 7, item 3: a platform that answers page after page with no records while saying more exist — each time with
 * a new cursor, token or link, so the loop guard never sees a repeat — must not be followed without end inside one
 * `next()`. A run of empty pages past the cap (per pagination kind, configurable) is a `PaginationError`, and an
 * overall page cap per listing is the backstop. Each platform stops by itself after 1 000 pages, so a runtime
 * without the caps finishes (without the error) instead of hanging.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BaseAdapter, PaginationError, type PlatformMeta } from '../../../src/runtime/index.js';
import { DEFAULT_MAX_EMPTY_PAGES } from '../../../src/runtime/pagination/paginator.js';
import { json, type LoopbackServer, type RecordedRequest, startServer } from '../support/loopback-server.js';
import { entity, makeMeta } from '../support/test-meta.js';

class ListingAdapter extends BaseAdapter<{ items: { id: string } }> {}

const SELF_STOP = 1000;

interface Platform {
  pagination: Record<string, unknown>;
  /** Answers page `n` (1-based) with `records`, saying more exist while `more`. */
  answer(
    req: RecordedRequest,
    res: Parameters<Parameters<typeof startServer>[0]>[1],
    n: number,
    records: unknown[],
    more: boolean,
    base: string,
  ): void;
}

const platforms: Array<[string, Platform]> = [
  [
    // (A cursor page that is empty and carries no has-more flag already ends the list.)
    'cursor (a fresh cursor and has_more: true)',
    {
      pagination: { kind: 'cursor', cursorParam: 'after', nextCursorPath: 'next', hasMorePath: 'has_more' },
      answer: (_req, res, n, records, more) =>
        json(res, 200, { data: records, has_more: more, next: more ? `c${n}` : null }),
    },
  ],
  [
    'page token (a fresh nextPageToken)',
    {
      pagination: { kind: 'token', tokenParam: 'pageToken', nextTokenPath: 'nextPageToken' },
      answer: (_req, res, n, records, more) =>
        json(res, 200, { data: records, ...(more ? { nextPageToken: `t${n}` } : {}) }),
    },
  ],
  [
    'link header (a fresh next link)',
    {
      pagination: { kind: 'link-header', rel: 'next' },
      answer: (_req, res, n, records, more, base) =>
        json(res, 200, { data: records }, more ? { link: `<${base}/items?page_info=p${n}>; rel="next"` } : {}),
    },
  ],
];

const servers: LoopbackServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A platform whose page `n` has the records `recordsOf(n)`; it says more exist until page 1 000. */
async function serve(platform: Platform, recordsOf: (n: number) => unknown[]) {
  let n = 0;
  let base = '';
  const server = await startServer((req, res) => {
    n++;
    platform.answer(req, res, n, recordsOf(n), n < SELF_STOP, base);
  });
  base = server.url;
  servers.push(server);
  return server;
}

function adapterFor(platform: Platform, server: LoopbackServer, options: Record<string, unknown> = {}, extra = {}) {
  const meta: PlatformMeta = makeMeta({
    pagination: { ...platform.pagination, ...extra },
    entities: { items: entity({ path: '/items' }) },
    rateLimit: { model: 'fixed-window', requests: 100_000, windowSeconds: 1, notes: 'test' },
  });
  return new ListingAdapter(meta, {
    credentials: { token: 't' },
    connectionConfig: {},
    baseUrl: server.url,
    ...options,
  } as never);
}

const kindOf = (platform: Platform) => platform.pagination.kind as keyof typeof DEFAULT_MAX_EMPTY_PAGES;

describe.each(platforms)('%s', (_name, platform) => {
  it('endless empty pages end in a PaginationError after the kind’s cap', async () => {
    const server = await serve(platform, () => []);
    const adapter = adapterFor(platform, server);
    const error = await adapter.fetch('items').catch((e: unknown) => e);
    await adapter.close();
    expect(error).toBeInstanceOf(PaginationError);
    expect((error as Error).message).toMatch(/pages in a row without records/);
    expect(server.requests).toHaveLength(DEFAULT_MAX_EMPTY_PAGES[kindOf(platform)] + 1);
  });

  it('a limit does not let endless empty pages run on either', async () => {
    const server = await serve(platform, () => []);
    const adapter = adapterFor(platform, server);
    await expect(adapter.fetch('items', { limit: 5 })).rejects.toBeInstanceOf(PaginationError);
    await adapter.close();
    expect(server.requests.length).toBeLessThanOrEqual(DEFAULT_MAX_EMPTY_PAGES[kindOf(platform)] + 1);
  });

  it('the adapter option pagination.maxEmptyPages sets the cap', async () => {
    const server = await serve(platform, () => []);
    const adapter = adapterFor(platform, server, { pagination: { maxEmptyPages: 2 } });
    await expect(adapter.fetch('items')).rejects.toBeInstanceOf(PaginationError);
    await adapter.close();
    expect(server.requests).toHaveLength(3);
  });

  it('the platform config maxEmptyPages sets the cap', async () => {
    const server = await serve(platform, () => []);
    const adapter = adapterFor(platform, server, {}, { maxEmptyPages: 4 });
    await expect(adapter.fetch('items')).rejects.toBeInstanceOf(PaginationError);
    await adapter.close();
    expect(server.requests).toHaveLength(5);
  });

  it('a few empty pages between pages of records are read through', async () => {
    // Pages 1–3 empty, 4 has a record, 5–7 empty, 8 has a record, then the list ends.
    const server = await serve(platform, (n) => (n === 4 || n === 8 ? [{ id: `r${n}` }] : []));
    const adapter = adapterFor(platform, server, { pagination: { maxEmptyPages: 3 } });
    await expect(adapter.fetch('items', { limit: 2 })).resolves.toEqual([{ id: 'r4' }, { id: 'r8' }]);
    await adapter.close();
  });

  it('the page cap ends a listing that never ends', async () => {
    const server = await serve(platform, (n) => [{ id: `r${n}` }]);
    const adapter = adapterFor(platform, server, { pagination: { maxPages: 50 } });
    const error = await adapter.fetch('items').catch((e: unknown) => e);
    await adapter.close();
    expect(error).toBeInstanceOf(PaginationError);
    expect((error as Error).message).toMatch(/passed 50 pages \(maxPages\)/);
    expect(server.requests).toHaveLength(51);
  });
});
