import { afterEach, describe, expect, it } from 'vitest';
import { getPath } from '../../src/runtime/dotted-path.js';
import { HttpClient } from '../../src/runtime/http/http-client.js';
import { PaginationError, type RetryConfig } from '../../src/runtime/index.js';
import { createPaginator } from '../../src/runtime/pagination/create-paginator.js';
import { parseLinkHeader } from '../../src/runtime/pagination/link-header-paginator.js';
import type { PageRequest, PaginationContext } from '../../src/runtime/pagination/paginator.js';
import { paginationSchema } from '../../src/runtime/platform-schema.js';
import { type Handler, json, type LoopbackServer, startServer } from './support/loopback-server.js';

const retry: RetryConfig = { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1, statusCodes: [] };
const ids = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'];
const records = (from: number, to: number) => ids.slice(from, to).map((id) => ({ id }));

let server: LoopbackServer | undefined;
let client: HttpClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  server = undefined;
  client = undefined;
});

interface Run {
  pages: string[][];
  requests: LoopbackServer['requests'];
}

/** Runs a paginator from the given config against a loopback handler; collects record ids per page. */
async function run(
  config: Record<string, unknown>,
  handler: Handler,
  options: { recordsPath?: string; pageSize?: number; first?: Partial<PageRequest>; maxPages?: number } = {},
): Promise<Run> {
  server = await startServer(handler);
  client = new HttpClient({ platformId: 'acme', baseUrl: server.url, retry });
  const http = client;
  const context: PaginationContext = {
    fetchPage: async (req) => {
      const r = await http.request({
        method: req.method,
        url: req.url,
        query: req.query,
        json: req.method === 'POST' ? (req.body ?? {}) : undefined,
        idempotent: true,
      });
      return { status: r.status, headers: r.headers, body: r.body, url: r.url };
    },
    recordsOf: (body) => (getPath(body, options.recordsPath ?? 'data') as unknown[] | undefined) ?? [],
    idField: 'id',
    pageSize: options.pageSize ?? 3,
    baseUrl: server.url,
    platformId: 'acme',
    entity: 'things',
  };
  const first: PageRequest = { method: 'GET', url: '/things', query: {}, ...options.first };
  const pages: string[][] = [];
  for await (const page of createPaginator(paginationSchema.parse(config)).pages(first, context)) {
    pages.push(page.records.map((r) => (r as { id: string }).id));
    if (options.maxPages !== undefined && pages.length >= options.maxPages) break;
  }
  return { pages, requests: server.requests };
}

const expectPaginationError = async (promise: Promise<unknown>, pattern: RegExp) => {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PaginationError);
  expect((error as Error).message).toMatch(pattern);
};

describe('cursor paginator', () => {
  const stripeLike = {
    kind: 'cursor',
    cursorParam: 'starting_after',
    cursorFrom: 'last-record',
    hasMorePath: 'has_more',
    limitParam: 'limit',
  };
  const stripeHandler: Handler = (req, res) => {
    const after = req.query.get('starting_after');
    const start = after ? ids.indexOf(after) + 1 : 0;
    const limit = Number(req.query.get('limit'));
    json(res, 200, { data: records(start, start + limit), has_more: start + limit < ids.length });
  };

  it('follows the last record id while has_more (Stripe) across 3 pages', async () => {
    const { pages, requests } = await run(stripeLike, stripeHandler);
    expect(pages).toEqual([['r1', 'r2', 'r3'], ['r4', 'r5', 'r6'], ['r7']]);
    expect(requests.map((r) => r.url)).toEqual([
      '/things?limit=3',
      '/things?limit=3&starting_after=r3',
      '/things?limit=3&starting_after=r6',
    ]);
  });

  it('fetches lazily: breaking after the first page sends one request', async () => {
    const { pages, requests } = await run(stripeLike, stripeHandler, { maxPages: 1 });
    expect(pages).toHaveLength(1);
    expect(requests).toHaveLength(1);
  });

  it('keeps going after a short page while has_more is true', async () => {
    const sizes = [3, 1, 3];
    let call = 0;
    const { pages } = await run(stripeLike, (req, res) => {
      const after = req.query.get('starting_after');
      const start = after ? ids.indexOf(after) + 1 : 0;
      const size = sizes[call++] ?? 3;
      json(res, 200, { data: records(start, start + size), has_more: start + size < ids.length });
    });
    expect(pages).toEqual([['r1', 'r2', 'r3'], ['r4'], ['r5', 'r6', 'r7']]);
  });

  it('follows a response cursor (HubSpot paging.next.after)', async () => {
    const { pages, requests } = await run(
      { kind: 'cursor', cursorParam: 'after', nextCursorPath: 'paging.next.after', limitParam: 'limit' },
      (req, res) => {
        const start = Number(req.query.get('after') ?? 0);
        const next = start + 3 < ids.length ? { next: { after: String(start + 3) } } : undefined;
        json(res, 200, { results: records(start, start + 3), ...(next ? { paging: next } : {}) });
      },
      { recordsPath: 'results' },
    );
    expect(pages.flat()).toEqual(ids);
    expect(pages).toHaveLength(3);
    expect(requests[2]?.query.get('after')).toBe('6');
  });

  it('puts the cursor in the JSON body at a dotted path (GraphQL pageInfo)', async () => {
    const { pages, requests } = await run(
      {
        kind: 'cursor',
        cursorParam: 'variables.after',
        in: 'body',
        nextCursorPath: 'data.items.pageInfo.endCursor',
        hasMorePath: 'data.items.pageInfo.hasNextPage',
        limitParam: 'variables.first',
      },
      (req, res) => {
        const body = JSON.parse(req.body) as { variables: { after?: string; first: number } };
        const start = Number(body.variables.after ?? 0);
        const end = start + body.variables.first;
        json(res, 200, {
          data: {
            items: { nodes: records(start, end), pageInfo: { hasNextPage: end < ids.length, endCursor: String(end) } },
          },
        });
      },
      { recordsPath: 'data.items.nodes', first: { method: 'POST', body: { query: '{ items }' } } },
    );
    expect(pages).toEqual([['r1', 'r2', 'r3'], ['r4', 'r5', 'r6'], ['r7']]);
    expect(JSON.parse(requests[1]?.body ?? '')).toEqual({ query: '{ items }', variables: { first: 3, after: '3' } });
  });

  it('ends at an empty page that still carries a cursor but does not say more exist (Neon)', async () => {
    const { pages, requests } = await run(
      { kind: 'cursor', cursorParam: 'cursor', nextCursorPath: 'pagination.cursor' },
      (req, res) => {
        const after = req.query.get('cursor');
        const start = after ? ids.indexOf(after) + 1 : 0;
        const page = records(start, start + 3);
        json(res, 200, { data: page, pagination: { cursor: page.at(-1)?.id ?? after } });
      },
    );
    expect(pages).toEqual([['r1', 'r2', 'r3'], ['r4', 'r5', 'r6'], ['r7'], []]);
    expect(requests).toHaveLength(4);
  });

  it('fails on a repeated cursor instead of looping', async () => {
    let n = 0;
    await expectPaginationError(
      run({ kind: 'cursor', cursorParam: 'after', nextCursorPath: 'next' }, (_req, res) =>
        json(res, 200, { data: records(n, ++n), next: 'same' }),
      ),
      /same cursor twice/,
    );
  });

  it('fails when has_more is true but the cursor is missing', async () => {
    await expectPaginationError(
      run({ kind: 'cursor', cursorParam: 'after', nextCursorPath: 'next', hasMorePath: 'more' }, (_req, res) =>
        json(res, 200, { data: records(0, 1), more: true }),
      ),
      /more records exist but sent no cursor/,
    );
  });
});

describe('offset paginator', () => {
  const config = { kind: 'offset', offsetParam: 'offset', limitParam: 'limit', totalPath: 'total' };

  it('advances by records received across 3 pages and stops at the total', async () => {
    const { pages, requests } = await run(config, (req, res) => {
      const offset = Number(req.query.get('offset'));
      json(res, 200, { data: records(offset, offset + Number(req.query.get('limit'))), total: ids.length });
    });
    expect(pages).toEqual([['r1', 'r2', 'r3'], ['r4', 'r5', 'r6'], ['r7']]);
    expect(requests.map((r) => r.query.get('offset'))).toEqual(['0', '3', '6']);
  });

  it('does not stop on a short page while the total says more exist', async () => {
    const { pages } = await run(config, (req, res) => {
      const offset = Number(req.query.get('offset'));
      const size = offset === 3 ? 1 : 3; // the server returns fewer than asked once
      json(res, 200, { data: records(offset, offset + size), total: ids.length });
    });
    expect(pages).toEqual([['r1', 'r2', 'r3'], ['r4'], ['r5', 'r6', 'r7']]);
  });

  it('without a total, reads until an empty page', async () => {
    const { pages } = await run({ kind: 'offset', offsetParam: 'offset', limitParam: 'limit' }, (req, res) => {
      const offset = Number(req.query.get('offset'));
      json(res, 200, { data: records(offset, offset + 3) });
    });
    expect(pages).toEqual([['r1', 'r2', 'r3'], ['r4', 'r5', 'r6'], ['r7'], []]);
  });

  it('fails when the server ignores the offset (identical page)', async () => {
    await expectPaginationError(
      run({ kind: 'offset', offsetParam: 'offset', limitParam: 'limit' }, (_req, res) =>
        json(res, 200, { data: records(0, 3) }),
      ),
      /same page twice/,
    );
  });
});

describe('page paginator', () => {
  it('counts pages from firstPage across 3 pages and stops at totalPages', async () => {
    const { pages, requests } = await run(
      { kind: 'page', pageParam: 'page', firstPage: 1, limitParam: 'per_page', totalPagesPath: 'meta.pages' },
      (req, res) => {
        const page = Number(req.query.get('page'));
        json(res, 200, { data: records((page - 1) * 3, page * 3), meta: { pages: 3 } });
      },
    );
    expect(pages).toEqual([['r1', 'r2', 'r3'], ['r4', 'r5', 'r6'], ['r7']]);
    expect(requests.map((r) => r.query.get('page'))).toEqual(['1', '2', '3']);
  });

  it('does not stop on a short page before totalPages', async () => {
    const { pages } = await run(
      { kind: 'page', pageParam: 'p', firstPage: 0, limitParam: 'n', totalPagesPath: 'pages' },
      (req, res) => {
        const page = Number(req.query.get('p'));
        const data = [records(0, 3), records(3, 4), records(4, 7)][page] ?? [];
        json(res, 200, { data, pages: 3 });
      },
    );
    expect(pages).toEqual([['r1', 'r2', 'r3'], ['r4'], ['r5', 'r6', 'r7']]);
  });

  it('fails when the server ignores the page number', async () => {
    await expectPaginationError(
      run({ kind: 'page', pageParam: 'page' }, (_req, res) => json(res, 200, { data: records(0, 2) })),
      /same page twice/,
    );
  });
});

describe('link-header paginator', () => {
  it('follows rel="next" across 3 pages without re-sending the original filters', async () => {
    const { pages, requests } = await run(
      { kind: 'link-header', limitParam: 'limit' },
      (req, res) => {
        const start = Number(req.query.get('page_info') ?? 0);
        const next = start + 3 < ids.length ? `<${server?.url}/things?limit=3&page_info=${start + 3}>; rel="next"` : '';
        const prev = `<${server?.url}/things?page_info=0>; rel="previous"`;
        json(res, 200, { data: records(start, start + 3) }, { link: [prev, next].filter(Boolean).join(', ') });
      },
      { first: { query: { status: 'any', updated_at_min: '2024-01-01' } } },
    );
    expect(pages).toEqual([['r1', 'r2', 'r3'], ['r4', 'r5', 'r6'], ['r7']]);
    expect(requests[0]?.url).toBe('/things?status=any&updated_at_min=2024-01-01&limit=3');
    expect(requests[1]?.url).toBe('/things?limit=3&page_info=3');
    expect(requests[2]?.query.has('status')).toBe(false);
  });

  it('fails on a next link seen before', async () => {
    await expectPaginationError(
      run({ kind: 'link-header' }, (req, res) => {
        const n = Number(req.query.get('n') ?? 0);
        json(res, 200, { data: records(n, n + 1) }, { link: `</things?n=${n === 1 ? 0 : 1}>; rel="next"` });
      }),
      /same URL twice/,
    );
  });

  it('never follows a next link to another host', async () => {
    await expectPaginationError(
      run({ kind: 'link-header' }, (_req, res) =>
        json(res, 200, { data: records(0, 1) }, { link: '<https://evil.test/things?page_info=2>; rel="next"' }),
      ),
      /not followed/,
    );
  });

  it('parses RFC 8288 links with several rels and quoted commas', () => {
    const links = parseLinkHeader(
      '<https://a.test/x?p=1>; rel="prev first"; title="a, b", <https://a.test/x?p=3>; rel=next',
    );
    expect(links.map((l) => [l.url, l.rel])).toEqual([
      ['https://a.test/x?p=1', ['prev', 'first']],
      ['https://a.test/x?p=3', ['next']],
    ]);
    expect(links[0]?.params.title).toBe('a, b');
  });
});

describe('next-url paginator', () => {
  it('follows a host-relative next URL (Salesforce nextRecordsUrl) across 3 pages', async () => {
    const { pages, requests } = await run(
      { kind: 'next-url', nextUrlPath: 'nextRecordsUrl' },
      (req, res) => {
        const start = req.path.startsWith('/services/data/v59.0/query/') ? Number(req.path.split('-').at(-1)) : 0;
        const done = start + 3 >= ids.length;
        json(res, 200, {
          records: records(start, start + 3),
          done,
          ...(done ? {} : { nextRecordsUrl: `/services/data/v59.0/query/01g-${start + 3}` }),
        });
      },
      { recordsPath: 'records', first: { query: { q: 'SELECT Id FROM Account' } } },
    );
    expect(pages).toEqual([['r1', 'r2', 'r3'], ['r4', 'r5', 'r6'], ['r7']]);
    expect(requests.map((r) => r.url)).toEqual([
      '/things?q=SELECT+Id+FROM+Account',
      '/services/data/v59.0/query/01g-3',
      '/services/data/v59.0/query/01g-6',
    ]);
  });

  it('stops at an empty page even when it still carries a next link (Mailgun)', async () => {
    const { pages, requests } = await run({ kind: 'next-url', nextUrlPath: 'paging.next' }, (req, res) => {
      const page = Number(req.query.get('page') ?? 0);
      json(res, 200, { data: records(page * 3, page * 3 + 3), paging: { next: `/things?page=${page + 1}` } });
    });
    expect(pages).toEqual([['r1', 'r2', 'r3'], ['r4', 'r5', 'r6'], ['r7'], []]);
    expect(requests).toHaveLength(4);
  });

  it('follows an absolute next URL on the same host (Meta paging.next)', async () => {
    const { pages } = await run({ kind: 'next-url', nextUrlPath: 'paging.next' }, (req, res) => {
      const start = Number(req.query.get('after') ?? 0);
      const next = start + 3 < ids.length ? `${server?.url}/things?after=${start + 3}` : undefined;
      json(res, 200, { data: records(start, start + 3), paging: next ? { next } : {} });
    });
    expect(pages.flat()).toEqual(ids);
  });

  it('fails on an absolute next URL on another host, without requesting it', async () => {
    await expectPaginationError(
      run({ kind: 'next-url', nextUrlPath: 'paging.next' }, (_req, res) =>
        json(res, 200, { data: records(0, 2), paging: { next: 'https://graph.evil.test/things?access_token=abc' } }),
      ),
      /https:\/\/graph\.evil\.test.*not followed/,
    );
    expect(server?.requests).toHaveLength(1);
  });

  it('fails on a repeated next URL', async () => {
    let n = 0;
    await expectPaginationError(
      run({ kind: 'next-url', nextUrlPath: 'next' }, (_req, res) =>
        json(res, 200, { data: records(n, ++n), next: '/things?again=1' }),
      ),
      /same URL twice/,
    );
  });
});

describe('token paginator', () => {
  const handler: Handler = (req, res) => {
    const token =
      req.method === 'POST' ? (JSON.parse(req.body) as { pageToken?: string }).pageToken : req.query.get('pageToken');
    const start = token ? Number(token.slice(1)) : 0;
    const next = start + 3 < ids.length ? `t${start + 3}` : undefined;
    json(res, 200, { results: records(start, start + 3), ...(next ? { nextPageToken: next } : {}) });
  };

  it('passes nextPageToken back in the query across 3 pages', async () => {
    const { pages, requests } = await run(
      { kind: 'token', tokenParam: 'pageToken', nextTokenPath: 'nextPageToken', limitParam: 'pageSize' },
      handler,
      { recordsPath: 'results' },
    );
    expect(pages).toEqual([['r1', 'r2', 'r3'], ['r4', 'r5', 'r6'], ['r7']]);
    expect(requests.map((r) => r.query.get('pageToken'))).toEqual([null, 't3', 't6']);
  });

  it('passes the token in the JSON body (Google Ads search)', async () => {
    const { pages, requests } = await run(
      { kind: 'token', tokenParam: 'pageToken', in: 'body', nextTokenPath: 'nextPageToken' },
      handler,
      { recordsPath: 'results', first: { method: 'POST', body: { query: 'SELECT campaign.id FROM campaign' } } },
    );
    expect(pages.flat()).toEqual(ids);
    expect(JSON.parse(requests[2]?.body ?? '')).toEqual({ query: 'SELECT campaign.id FROM campaign', pageToken: 't6' });
  });

  it('fails on a repeated token', async () => {
    let n = 0;
    await expectPaginationError(
      run({ kind: 'token', tokenParam: 't', nextTokenPath: 'next' }, (_req, res) =>
        json(res, 200, { data: records(n, ++n), next: 'again' }),
      ),
      /same page token twice/,
    );
  });
});

describe('none paginator', () => {
  it('reads one page', async () => {
    const { pages, requests } = await run({ kind: 'none', reason: 'all at once' }, (_req, res) =>
      json(res, 200, { data: records(0, 7), next: 'ignored' }),
    );
    expect(pages).toEqual([ids]);
    expect(requests).toHaveLength(1);
  });
});
