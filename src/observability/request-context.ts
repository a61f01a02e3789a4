/**
 * One request id from our route to the platform call: each API request gets a random id (Fastify `genReqId`),
 * answered in `X-Request-Id`, held in an `AsyncLocalStorage` while the request is served, and written as
 * `requestId` on every log line written meanwhile — Fastify's request logs, route code logging through
 * `ctx.logger`, and the adapters' own lines (`http retry`, `http response`…), whose loggers were made before the
 * request (adapters are kept between requests) — by a pino `mixin` on the service's root logger.
 *
 * The runtime's HTTP client writes its own id of each platform call as `requestId` too (`HttpResponse.requestId`);
 * on a line written while serving a request that one is kept as `callId`, and `requestId` is the request's.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { type FastifyInstance, LogController } from 'fastify';
import { type LoggerOptions, symbols } from 'pino';

export interface RequestContext {
  readonly requestId: string;
}

/** The log field of the request id. */
export const REQUEST_ID_LOG_KEY = 'requestId';
/** Where a line's own `requestId` (the runtime's id of one platform call) goes when the request's id takes its place. */
export const CALL_ID_LOG_KEY = 'callId';
/** The response header that tells a client the id of its request (to quote it when reporting a problem). */
export const REQUEST_ID_HEADER = 'x-request-id';

const storage = new AsyncLocalStorage<RequestContext>();

/** The id of the request being served here, if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/**
 * Runs `fn` as part of the request `requestId`: its log lines carry the id.
 * @example
 * await runWithRequestId(request.id, () => adapter.page('customers'));
 */
export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return storage.run({ requestId }, fn);
}

const BOUND_REQUEST_ID = `"${REQUEST_ID_LOG_KEY}":`;

/**
 * pino `mixin`: `{ requestId }` while a request is served. Not for a logger that has the id bound already (Fastify's
 * `request.log`, with `requestIdLogLabel: 'requestId'`), which would write the key twice.
 */
export function requestIdMixin(_mergeObject: object, _level: number, logger: unknown): object {
  const context = storage.getStore();
  if (!context) return {};
  const bindings = (logger as Record<symbol, unknown> | undefined)?.[symbols.chindingsSym];
  if (typeof bindings === 'string' && bindings.includes(BOUND_REQUEST_ID)) return {};
  return { [REQUEST_ID_LOG_KEY]: context.requestId };
}

/**
 * pino `mixinMergeStrategy`: the line's own fields win (pino's default), except a `requestId` of its own, which
 * moves to `callId` so the request's id stays in `requestId`.
 */
export function requestIdMergeStrategy(mergeObject: object, mixinObject: object): object {
  const ours = (mixinObject as Record<string, unknown>)[REQUEST_ID_LOG_KEY];
  const theirs = (mergeObject as Record<string, unknown>)[REQUEST_ID_LOG_KEY];
  if (ours === undefined || theirs === undefined || theirs === ours) return Object.assign(mixinObject, mergeObject);
  return { ...mergeObject, [REQUEST_ID_LOG_KEY]: ours, [CALL_ID_LOG_KEY]: theirs };
}

/**
 * The pino options that put the request id on every line: spread them into the root logger's options.
 * @example
 * const logger = pino({ level: 'info', ...requestIdLogging });
 */
export const requestIdLogging = {
  mixin: requestIdMixin,
  mixinMergeStrategy: requestIdMergeStrategy,
} satisfies Pick<LoggerOptions, 'mixin' | 'mixinMergeStrategy'>;

/**
 * Fastify options: a random UUID per request (ids from clients are not trusted), bound to `request.log` as
 * `requestId`, so even Fastify's `incoming request` line (written before any hook runs) carries it.
 * @example
 * Fastify({ loggerInstance: logger, ...requestIdServerOptions() });
 */
export function requestIdServerOptions(): { genReqId: () => string; logController: LogController } {
  return {
    genReqId: () => randomUUID(),
    logController: new LogController({ requestIdLogLabel: REQUEST_ID_LOG_KEY }),
  };
}

/**
 * Serves every request of `app` inside its context: from `onRequest` on, and again from `preValidation` (a parsed
 * body resumes the request from the socket's events, outside the context), so the hooks and the handler after it
 * run inside. Add it before any other hook or route; it also answers the id in `X-Request-Id`.
 * @example
 * const app = Fastify({ loggerInstance: logger, ...requestIdServerOptions() });
 * installRequestContext(app);
 */
export function installRequestContext(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    storage.run({ requestId: request.id }, done);
  });
  app.addHook('preValidation', (request, _reply, done) => {
    storage.run({ requestId: request.id }, done);
  });
}
