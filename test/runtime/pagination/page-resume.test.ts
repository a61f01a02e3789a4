/**
 * `adapter.page()` and `adapter.pages()` hand out pages with the request for the next, so a listing can stop and
 * resume later (the API's opaque cursors and the sync engine's checkpoints hold it). Resumed page by page, every kind
 * of pagination yields exactly what one `list()` yields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseAdapter } from '../../../src/runtime/index.js';
import type { PageRequest } from '../../../src/runtime/pagination/paginator.js';
import { json, type LoopbackServer, startServer } from '../support/loopback-server.js';
import { entity, makeMeta } from '../support/test-meta.js';

class ResumableAdapter extends BaseAdapter<{ items: { id: string } }> {}

const TOTAL = 23;
const SIZE = 5;
const ids = Array.from({ length: TOTAL }, (_, i) => `r${String(i).padStart(2, '0')}`);

let server: LoopbackServer;
beforeAll(async () => {
  server = await startServer((req, res) => {
    const q = req.query;
    const start =
      q.get('after') !== null
        ? ids.indexOf(q.get('after') as string) + 1
        : q.get('pageToken') !== null
          ? Number(q.get('pageToken'))
          : q.get('offset') !== null
            ? Number(q.get('offset'))
            : q.get('page') !== null
              ? (Number(q.get('page')) - 1) * SIZE
              : q.get('page_info') !== null
                ? Number(q.get('page_info'))
                : q.get('from') !== null
                  ? Number(q.get('from'))
                  : 0;
    const data = ids.slice(start, start + SIZE).map((id) => ({ id }));
    const end = start + SIZE >= TOTAL;
    if (req.path === '/cursor') json(res, 200, { data, has_more: !end });
    else if (req.path === '/token') json(res, 200, { data, ...(end ? {} : { nextPageToken: String(start + SIZE) }) });
    else if (req.path === '/next')
      json(res, 200, { data, next: end ? null : `${server.url}/next?from=${start + SIZE}` });
    else if (req.path === '/link')
      json(res, 200, { data }, end ? {} : { link: `<${server.url}/link?page_info=${start + SIZE}>; rel="next"` });
    else json(res, 200, { data, total: TOTAL });
  });
});
afterAll(async () => {
  await server.close();
});

const kinds: Array<[string, string, Record<string, unknown>]> = [
  [
    'cursor (last record)',
    '/cursor',
    { kind: 'cursor', cursorParam: 'after', cursorFrom: 'last-record', hasMorePath: 'has_more' },
  ],
  ['page token', '/token', { kind: 'token', tokenParam: 'pageToken', nextTokenPath: 'nextPageToken' }],
  ['link header', '/link', { kind: 'link-header', rel: 'next' }],
  ['offset', '/offset', { kind: 'offset', offsetParam: 'offset', totalPath: 'total' }],
  ['page number', '/page', { kind: 'page', pageParam: 'page', firstPage: 1 }],
  ['next URL', '/next', { kind: 'next-url', nextUrlPath: 'next' }],
];

describe.each(kinds)('%s', (_name, path, pagination) => {
  const adapter = () =>
    new ResumableAdapter(makeMeta({ pagination, entities: { items: entity({ path }) } }), {
      credentials: { token: 't' },
      connectionConfig: {},
      baseUrl: server.url,
    } as never);

  it('page after page from each `next` yields what list() yields, then ends', async () => {
    const a = adapter();
    const listed: string[] = [];
    for await (const r of a.list('items')) listed.push(r.id);
    const resumed: string[] = [];
    let from: PageRequest | undefined;
    let pages = 0;
    do {
      // A fresh round trip through JSON, as an API cursor stores it.
      const page = await a.page('items', from ? { from: JSON.parse(JSON.stringify(from)) } : {});
      resumed.push(...page.records.map((r) => r.id));
      from = page.next;
      pages++;
    } while (from && pages < 20);
    await a.close();
    expect(listed).toEqual(ids);
    expect(resumed).toEqual(ids);
    // Page numbers without a reported total end at the first empty page: one request more.
    expect(pages).toBe(Math.ceil(TOTAL / SIZE) + (pagination.kind === 'page' ? 1 : 0));
  });

  it('pages() stopped after two pages and resumed by another adapter from the stored `next` yields every record once', async () => {
    const first: string[] = [];
    let stored: string | undefined;
    const a = adapter();
    for await (const page of a.pages('items')) {
      first.push(...page.records.map((r) => r.id));
      stored = JSON.stringify(page.next); // what a sync's checkpoint keeps
      if (page.number === 2) break;
    }
    await a.close();
    const b = adapter(); // another worker, after a crash
    const rest: string[] = [];
    for await (const page of b.pages('items', { from: JSON.parse(stored as string) })) {
      rest.push(...page.records.map((r) => r.id));
    }
    await b.close();
    expect(first).toEqual(ids.slice(0, 2 * SIZE));
    expect([...first, ...rest]).toEqual(ids);
  });

  it('a page re-read from its own `request` is the same page', async () => {
    const a = adapter();
    const first = await a.page('items');
    const second = await a.page('items', { from: first.next });
    const again = await a.page('items', { from: second.request });
    await a.close();
    expect(again.records).toEqual(second.records);
    expect(again.next).toEqual(second.next);
  });
});
