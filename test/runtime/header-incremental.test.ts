/**
 * The `header` incremental kind (Xero's and Zoho CRM's `If-Modified-Since`): the schema takes it only with its
 * fields, the runtime sends the header in the documented format on every page when `since` is given (and never
 * otherwise), a 304 to it is an empty listing, and cursors read back Xero's `/Date(ms+0000)/` form.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { applyIncremental, cursorInstant, formatSince } from '../../src/runtime/incremental-filter.js';
import { type AdapterOptions, BaseAdapter, type PlatformMeta } from '../../src/runtime/index.js';
import { platformSchema } from '../../src/runtime/platform-schema.js';
import { json, type LoopbackServer, startServer } from './support/loopback-server.js';
import { entity, makeMeta } from './support/test-meta.js';

const SINCE = new Date('2024-05-01T10:20:30.456Z');

describe('applyIncremental with a header kind', () => {
  it.each([
    [
      'Xero: If-Modified-Since as an ISO 8601 date-time, with a since',
      { format: 'iso8601' as const, since: SINCE },
      { 'If-Modified-Since': '2024-05-01T10:20:30Z' },
    ],
    [
      'Zoho CRM: If-Modified-Since as an ISO 8601 date-time with an offset, with a since',
      { format: 'iso8601-offset' as const, since: SINCE },
      { 'If-Modified-Since': '2024-05-01T10:20:30+00:00' },
    ],
    ['no header without a since', { format: 'iso8601' as const, since: undefined }, {}],
  ])('%s', (_name, given, want) => {
    const parts = applyIncremental(
      {
        query: { order: 'UpdatedDateUTC' },
        body: undefined,
        incremental: { kind: 'header', cursorField: 'UpdatedDateUTC', header: 'If-Modified-Since', ...given },
      },
      given.since,
    );
    expect(parts).toEqual({ query: { order: 'UpdatedDateUTC' }, body: undefined, headers: want });
  });

  it('query-param and query-template kinds add no header', () => {
    const parts = applyIncremental(
      { query: {}, incremental: { kind: 'query-param', cursorField: 'u', param: 'since', format: 'iso8601' } },
      SINCE,
    );
    expect(parts.headers).toEqual({});
  });
});

describe('formatSince iso8601-offset', () => {
  it('floors to the second and writes the UTC offset numerically', () => {
    expect(formatSince(SINCE, 'iso8601-offset')).toBe('2024-05-01T10:20:30+00:00');
  });
});

describe('cursorInstant reads Xero /Date()/ values', () => {
  it.each([
    ['/Date(ms+0000)/ (Xero UpdatedDateUTC)', '/Date(1573755038314+0000)/', 1573755038314],
    ['/Date(ms)/ without an offset', '/Date(1573755038314)/', 1573755038314],
    ['/Date(ms+hhmm)/: the milliseconds are UTC whatever the offset', '/Date(1573755038314+1300)/', 1573755038314],
    ['/Date(-ms)/ before 1970', '/Date(-86400000+0000)/', -86_400_000],
    ['an ISO string still', '2019-11-14T18:10:38.314Z', 1573755038314],
    ['a malformed /Date()/ is unreadable', '/Date(abc)/', undefined],
  ])('%s', (_name, value, want) => {
    expect(cursorInstant({ UpdatedDateUTC: value }, 'UpdatedDateUTC')).toBe(want);
  });
});

describe('the schema and the header kind', () => {
  const withIncremental = (incremental: Record<string, unknown>) =>
    platformSchema.safeParse({
      ...makeMeta(),
      entities: { contacts: entity({ path: '/Contacts', incremental, fields: { id: 'string', u: 'string' } }) },
    });

  it.each([
    ['without its header', { kind: 'header', cursorField: 'u' }],
    ['without its cursor field', { kind: 'header', header: 'If-Modified-Since' }],
    ['with an empty header', { kind: 'header', cursorField: 'u', header: '' }],
    [
      'with a header name that is not an HTTP token',
      { kind: 'header', cursorField: 'u', header: 'If Modified: Since' },
    ],
    ['with an unknown format', { kind: 'header', cursorField: 'u', header: 'If-Modified-Since', format: 'http' }],
    ['with a stray field', { kind: 'header', cursorField: 'u', header: 'If-Modified-Since', param: 'since' }],
  ])('refuses a header kind %s', (_name, incremental) => {
    expect(withIncremental(incremental).success).toBe(false);
  });

  it('takes a header kind with its fields, ISO 8601 by default', () => {
    const parsed = withIncremental({ kind: 'header', cursorField: 'u', header: 'If-Modified-Since' });
    expect(parsed.success).toBe(true);
    expect(parsed.data?.entities.contacts?.incremental).toEqual({
      kind: 'header',
      cursorField: 'u',
      header: 'If-Modified-Since',
      format: 'iso8601',
    });
  });
});

type Contact = { id: string; UpdatedDateUTC: string };

class HeaderAdapter extends BaseAdapter<{ contacts: Contact }, { token: string }, Record<string, never>> {
  static readonly meta: PlatformMeta = makeMeta({
    entities: {
      contacts: entity({
        path: '/Contacts',
        recordsPath: 'Contacts',
        fields: { id: 'string', UpdatedDateUTC: 'string' },
        incremental: { kind: 'header', cursorField: 'UpdatedDateUTC', header: 'If-Modified-Since' },
        pagination: { kind: 'page', pageParam: 'page', limitParam: 'pageSize', maxLimit: 2 },
      }),
    },
  });
  constructor(options: AdapterOptions<{ token: string }, Record<string, never>>) {
    super(HeaderAdapter.meta, options);
  }
}

const contacts: Contact[] = Array.from({ length: 3 }, (_, i) => ({
  id: `c${i + 1}`,
  UpdatedDateUTC: `/Date(${Date.UTC(2024, 4, 1 + i)}+0000)/`,
}));

let server: LoopbackServer | undefined;
let adapter: HeaderAdapter | undefined;
afterEach(async () => {
  await adapter?.close();
  await server?.close();
  adapter = undefined;
  server = undefined;
});

async function listed(handler: Parameters<typeof startServer>[0], since?: Date) {
  server = await startServer(handler);
  adapter = new HeaderAdapter({ credentials: { token: 't' }, connectionConfig: {}, baseUrl: server.url });
  const out: Contact[] = [];
  for await (const c of adapter.list('contacts', { since, pageSize: 2 })) out.push(c);
  return { out, requests: server.requests };
}

const pages = (req: { query: URLSearchParams }, res: Parameters<typeof json>[0]) => {
  const page = Number(req.query.get('page') ?? '1');
  json(res, 200, { Contacts: contacts.slice((page - 1) * 2, page * 2) });
};

describe('a header-kind listing over HTTP', () => {
  it('sends If-Modified-Since on every page when since is given', async () => {
    const { out, requests } = await listed(pages, SINCE);
    expect(out.map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
    expect(requests.length).toBeGreaterThanOrEqual(2);
    for (const r of requests) expect(r.headers['if-modified-since']).toBe('2024-05-01T10:20:30Z');
    expect(requests.every((r) => !r.query.has('If-Modified-Since'))).toBe(true);
  });

  it('sends no If-Modified-Since without a since', async () => {
    const { requests } = await listed(pages);
    expect(requests.length).toBeGreaterThanOrEqual(2);
    for (const r of requests) expect(r.headers['if-modified-since']).toBeUndefined();
  });

  it('reads a 304 Not Modified to the header as an empty listing', async () => {
    const { out } = await listed((_req, res) => {
      res.statusCode = 304;
      res.end();
    }, SINCE);
    expect(out).toEqual([]);
  });

  it('fetch() filters client-side on the /Date()/ cursor too', async () => {
    server = await startServer(pages);
    adapter = new HeaderAdapter({ credentials: { token: 't' }, connectionConfig: {}, baseUrl: server.url });
    const got = await adapter.fetch('contacts', { dateFrom: new Date(Date.UTC(2024, 4, 2)) });
    expect(got.map((c) => c.id)).toEqual(['c2', 'c3']);
  });
});
