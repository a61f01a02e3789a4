/**
 * One request id on every log line written while a request is served (`observability/request-context.ts`): the
 * pino mixin and its merge rule, and the Fastify hooks that hold the context through body parsing, async work and
 * concurrent requests.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  currentRequestId,
  installRequestContext,
  REQUEST_ID_HEADER,
  requestIdLogging,
  requestIdServerOptions,
  runWithRequestId,
} from '../../src/observability/request-context.js';

type Line = Record<string, unknown> & { msg?: string };

function collectingLogger() {
  const raw: string[] = [];
  const logger = pino({ level: 'debug', ...requestIdLogging }, { write: (line: string) => raw.push(line) });
  return { logger, raw, lines: () => raw.map((l) => JSON.parse(l) as Line) };
}

const occurrences = (line: string, key: string) => line.split(`"${key}":`).length - 1;

describe('the mixin', () => {
  it('adds nothing outside a request', () => {
    const { logger, lines } = collectingLogger();
    logger.info('outside');
    expect(lines()[0]).not.toHaveProperty('requestId');
    expect(currentRequestId()).toBeUndefined();
  });

  it('adds the request id inside one, also to child loggers made before it (kept adapters)', async () => {
    const { logger, lines } = collectingLogger();
    const adapterLog = logger.child({ platform: 'stripe', tenantId: 't1' });
    await runWithRequestId('r-1', async () => {
      await sleep(1);
      adapterLog.debug({ method: 'GET' }, 'http response');
      logger.info('route');
    });
    expect(lines()).toEqual([
      expect.objectContaining({ msg: 'http response', requestId: 'r-1', platform: 'stripe' }),
      expect.objectContaining({ msg: 'route', requestId: 'r-1' }),
    ]);
  });

  it("keeps a line's own requestId (the runtime's id of a platform call) as callId", () => {
    const { logger, lines, raw } = collectingLogger();
    runWithRequestId('r-2', () => logger.warn({ requestId: 'call-9', attempt: 2 }, 'http retry'));
    expect(lines()[0]).toMatchObject({ requestId: 'r-2', callId: 'call-9', attempt: 2 });
    expect(occurrences(raw[0] as string, 'requestId')).toBe(1);
  });

  it('leaves a line whose requestId is the request id as it is, and lets its other fields win', () => {
    const { logger, lines } = collectingLogger();
    runWithRequestId('r-3', () => logger.info({ requestId: 'r-3', n: 1 }, 'same'));
    expect(lines()[0]).toMatchObject({ requestId: 'r-3', n: 1 });
    expect(lines()[0]).not.toHaveProperty('callId');
  });

  it('does not write the key twice for a logger that has the id bound (Fastify request.log)', () => {
    const { logger, raw } = collectingLogger();
    const requestLog = logger.child({ requestId: 'r-4' });
    runWithRequestId('r-4', () => requestLog.info('bound'));
    expect(occurrences(raw[0] as string, 'requestId')).toBe(1);
  });
});

describe('the Fastify hooks', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function serve() {
    const log = collectingLogger();
    const server = Fastify({ loggerInstance: log.logger, ...requestIdServerOptions() }) as unknown as FastifyInstance;
    installRequestContext(server);
    // An outside logger, as route code and adapters use: only the context can give it the id.
    const other = log.logger.child({ component: 'adapter' });
    server.get('/slow', async () => {
      await sleep(5);
      other.info('after an await');
      setImmediate(() => other.info('in a callback'));
      await sleep(5);
      return { id: currentRequestId() };
    });
    server.post('/parsed', async (request) => {
      other.info({ size: JSON.stringify(request.body).length }, 'after the body was parsed');
      return { id: currentRequestId() };
    });
    await server.register(async (scope) => {
      scope.addHook('onRequest', async () => {
        await sleep(1);
        other.info('in a scoped hook');
      });
      scope.get('/scoped', async () => ({ id: currentRequestId() }));
    });
    app = server;
    return { server, ...log };
  }

  it('gives each request a UUID, answered in X-Request-Id, on every line written while it is served', async () => {
    const { server, lines } = await serve();
    const response = await server.inject({ method: 'GET', url: '/slow' });
    const id = response.headers[REQUEST_ID_HEADER];
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(response.json()).toEqual({ id });
    const written = lines();
    expect(written.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['incoming request', 'after an await', 'in a callback', 'request completed']),
    );
    for (const line of written) expect(line.requestId).toBe(id);
  });

  it('keeps the context through body parsing (a POST with JSON)', async () => {
    const { server, lines } = await serve();
    const response = await server.inject({ method: 'POST', url: '/parsed', payload: { big: 'x'.repeat(100_000) } });
    const id = response.headers[REQUEST_ID_HEADER];
    expect(response.json()).toEqual({ id });
    expect(lines().find((l) => l.msg === 'after the body was parsed')).toMatchObject({ requestId: id });
  });

  it('covers hooks of nested scopes', async () => {
    const { server, lines } = await serve();
    const response = await server.inject({ method: 'GET', url: '/scoped' });
    expect(lines().find((l) => l.msg === 'in a scoped hook')).toMatchObject({
      requestId: response.headers[REQUEST_ID_HEADER],
    });
  });

  it('never mixes the ids of concurrent requests', async () => {
    const { server, lines } = await serve();
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => server.inject({ method: 'GET', url: '/slow' })),
    );
    const ids = responses.map((r) => r.headers[REQUEST_ID_HEADER]);
    expect(new Set(ids).size).toBe(8);
    for (const r of responses) expect(r.json()).toEqual({ id: r.headers[REQUEST_ID_HEADER] });
    const afterAwait = lines().filter((l) => l.msg === 'after an await');
    expect(afterAwait.map((l) => l.requestId).sort()).toEqual([...ids].sort());
  });
});
