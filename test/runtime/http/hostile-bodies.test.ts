/**
 * Issue 7, item 4: response bodies a hostile or broken platform sends. Every one becomes a typed error (or a typed
 * error with the body left out), never a raw `RangeError`, an untyped `Error`, a replaced prototype, or a body read
 * whole however large it is.
 */
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../../../src/runtime/http/http-client.js';
import {
  AdapterError,
  ApiError,
  BaseAdapter,
  PermissionDeniedError,
  type PlatformMeta,
  ResponseBodyError,
} from '../../../src/runtime/index.js';
import { type LoopbackServer, startServer } from '../support/loopback-server.js';
import { entity, makeMeta } from '../support/test-meta.js';

class HostileAdapter extends BaseAdapter<{ items: { id: string } }> {}

const meta: PlatformMeta = makeMeta({
  pagination: { kind: 'none', reason: 'one page' },
  entities: { items: entity({ path: '/items', recordsPath: 'data' }) },
  retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
});

const servers: LoopbackServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function platformAnswering(status: number, contentType: string, body: string | Buffer, headers = {}) {
  const server = await startServer((_req, res) => {
    res.writeHead(status, { 'content-type': contentType, ...headers });
    res.end(body);
  });
  servers.push(server);
  return new HostileAdapter(meta, { credentials: { token: 't' }, connectionConfig: {}, baseUrl: server.url });
}

const deepArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('bodies that would break whatever reads them', () => {
  const cases: Array<[string, { status: number; type: string; body: string; want: new (...a: never[]) => Error }]> = [
    [
      'a page of records nested 50 000 arrays deep',
      { status: 200, type: 'application/json', body: `{"data":[${deepArrays(50_000)}]}`, want: ResponseBodyError },
    ],
    [
      'a page nested 50 000 objects deep',
      { status: 200, type: 'application/json', body: `{"data":[${deepObjects(50_000)}]}`, want: ResponseBodyError },
    ],
    [
      'an error body nested 50 000 arrays deep',
      { status: 400, type: 'application/json', body: deepArrays(50_000), want: ApiError },
    ],
    [
      'an XML page with a __proto__ element',
      {
        status: 200,
        type: 'application/xml',
        body: '<List><__proto__><polluted>yes</polluted></__proto__></List>',
        want: ResponseBodyError,
      },
    ],
    [
      'an XML page with a constructor element',
      {
        status: 200,
        type: 'application/xml',
        body: '<List><constructor>1</constructor></List>',
        want: ResponseBodyError,
      },
    ],
    [
      'an XML error body with a __proto__ element',
      {
        status: 403,
        type: 'application/xml',
        body: '<Error><__proto__><Code>x</Code></__proto__></Error>',
        want: PermissionDeniedError,
      },
    ],
    [
      'an XML page nested 20 000 elements deep',
      {
        status: 200,
        type: 'application/xml',
        body: `${'<a>'.repeat(20_000)}x${'</a>'.repeat(20_000)}`,
        want: ResponseBodyError,
      },
    ],
  ];

  it.each(cases)('%s is a typed error', async (_name, { status, type, body, want }) => {
    const adapter = await platformAnswering(status, type, body);
    const error = await adapter.fetch('items').catch((e: unknown) => e);
    await adapter.close();
    expect(error).toBeInstanceOf(want);
    expect(error).toBeInstanceOf(AdapterError);
    // What people do with errors must work on it too.
    expect(() => JSON.stringify(error)).not.toThrow();
    expect(String(error)).toMatch(/^\w+Error: acme/);
  });

  it('a page nested as deep as real APIs go (200 levels) is read', async () => {
    const adapter = await platformAnswering(200, 'application/json', `{"data":[{"id":"1","x":${deepArrays(200)}}]}`);
    await expect(adapter.fetch('items')).resolves.toHaveLength(1);
    await adapter.close();
  });

  it('a too-deep page says why, with its status, and no body', async () => {
    const adapter = await platformAnswering(200, 'application/json', `{"data":${deepArrays(1000)}}`);
    const error = (await adapter.fetch('items').catch((e: unknown) => e)) as ResponseBodyError;
    await adapter.close();
    expect(error).toMatchObject({ reason: 'too-deep', status: 200, limit: 256 });
    expect(error.message).toMatch(/nested deeper than 256 levels/);
  });
});

describe('a JSON error body with __proto__ keeps its prototype', () => {
  it.each([
    ['at the top', '{"__proto__":{"polluted":true},"message":"nope"}'],
    ['nested', '{"error":{"__proto__":{"polluted":true},"message":"nope"}}'],
  ])('%s', async (_name, body) => {
    const adapter = await platformAnswering(400, 'application/json', body);
    const error = (await adapter.fetch('items').catch((e: unknown) => e)) as ApiError;
    await adapter.close();
    expect(error).toBeInstanceOf(ApiError);
    const kept = error.body as Record<string, unknown>;
    const holder = (Object.hasOwn(kept, 'error') ? kept.error : kept) as Record<string, unknown>;
    expect(Object.getPrototypeOf(holder)).toBe(Object.prototype);
    expect((holder as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.hasOwn(holder, '__proto__')).toBe(true); // kept as data, as JSON.parse made it
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('bodies larger than the cap are refused while streaming', () => {
  /** A platform that streams `total` bytes in 64 KiB chunks, stopping when the client goes away; counts what it wrote. */
  async function streaming(total: number, headers: Record<string, string> = {}) {
    const state = { written: 0, closedEarly: false };
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', ...headers });
      res.on('close', () => {
        if (state.written < total) state.closedEarly = true;
      });
      const pump = () => {
        while (state.written < total && !res.destroyed) {
          state.written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!res.destroyed) res.end();
      };
      pump();
    });
    servers.push(server);
    return { server, state };
  }

  const MB = 1024 * 1024;

  it('a 50 MB body is not read whole (cap 1 MiB)', async () => {
    const { server, state } = await streaming(50 * MB);
    const adapter = new HostileAdapter(meta, {
      credentials: { token: 't' },
      connectionConfig: {},
      baseUrl: server.url,
      maxResponseBytes: MB,
    });
    const error = (await adapter.fetch('items').catch((e: unknown) => e)) as ResponseBodyError;
    await adapter.close();
    expect(error).toBeInstanceOf(ResponseBodyError);
    expect(error).toMatchObject({ reason: 'too-large', limit: MB });
    await vi.waitFor(() => expect(state.closedEarly).toBe(true));
    expect(state.written).toBeLessThan(20 * MB);
  });

  it('a declared Content-Length over the cap is refused before its body is read', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 * MB) });
      res.write('{"data":['); // and then nothing: a client reading the body would wait for the rest
    });
    servers.push(server);
    const adapter = new HostileAdapter(meta, {
      credentials: { token: 't' },
      connectionConfig: {},
      baseUrl: server.url,
      maxResponseBytes: MB,
    });
    await expect(adapter.fetch('items')).rejects.toMatchObject({ name: 'ResponseBodyError', status: 200 });
    await adapter.close();
  });

  it('a gzip bomb is measured after decompression', async () => {
    const bomb = gzipSync(Buffer.alloc(30 * MB, 0x20)); // about 30 KB on the wire
    const adapter = await platformAnswering(200, 'application/json', bomb, { 'content-encoding': 'gzip' });
    const error = await adapter.fetch('items').catch((e: unknown) => e);
    await adapter.close();
    expect(error).toMatchObject({ name: 'ResponseBodyError', reason: 'too-large', limit: DEFAULT_MAX_RESPONSE_BYTES });
  });

  it('the default cap is 25 MiB, and a body under it is read', async () => {
    expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(25 * MB);
    const adapter = await platformAnswering(200, 'application/json', JSON.stringify({ data: [{ id: '1' }] }));
    await expect(adapter.fetch('items')).resolves.toEqual([{ id: '1' }]);
    await adapter.close();
  });
});
