/**
 * Writes in the config-driven emulator, on the routes the runtime sends them to: `create` is a POST to
 * `createPath ?? path`, `update` the entity's `updateMethod` to its item path, `delete` a DELETE to its item path,
 * each allowed only where the entity's `write` lists it (else 405, with the methods that path takes in `Allow`).
 *
 * - create: 201 with the new record at `itemRecordPath` (200 for form-encoded platforms, as Stripe and the Graph API
 *   answer); the record is a synthesized one with the written fields over it (see `RecordStore.insert`); 409 when
 *   the body names an id that exists.
 * - update: 200 with the record after the change; 404 when there is none with the id.
 * - delete: 204 without a body (200 with the success flag for platforms that flag success in the body); 404 when
 *   there is none with the id.
 * - A body that cannot be read as the entity's `writeBody` says (not an object, not the encoding, not in its
 *   `wrapIn` envelope) is a 400; a field whose value is `"__invalid__"` a 422 naming the field (see `write-body.ts`).
 * - Where the platform takes an idempotency key (`retry.idempotencyHeader`), a write repeated with the same key gets
 *   the first answer again (marked `Idempotent-Replayed: true`) and writes nothing; the same key with another
 *   request is a 400, as Stripe answers.
 */
import type { PlatformMeta } from '../../runtime/adapter-types.js';
import { getPath } from '../../runtime/dotted-path.js';
import type { EntityConfig } from '../../runtime/platform-schema.js';
import type { EmulatorRequest, EmulatorResponse } from '../emulator-server.js';
import { compilePathTemplate, itemPathTemplate, matchPath, type PathMatcher } from './path-template.js';
import type { RecordStore } from './record-store.js';
import { type Row, setDeep } from './record-synthesizer.js';
import { invalidField, writeFields } from './write-body.js';

export interface WriteResponderOptions {
  meta: PlatformMeta;
  connectionConfig: Readonly<Record<string, string>>;
  store: RecordStore;
  /** The platform's answer for what does not exist (the emulator's, so that every 404 looks the same). */
  notFound(request: EmulatorRequest, message?: string): EmulatorResponse;
  /** A good answer's body with the platform's success flag, where it has one (Slack's `ok: true`). */
  okFlag(body: unknown): unknown;
}

/** Answers a write request; `undefined` when the request is not one (its path is no entity's write path). */
export type WriteResponder = (request: EmulatorRequest, relative: string) => EmulatorResponse | undefined;

interface WriteRoute {
  entity: string;
  config: EntityConfig;
  /** Where records are created (`createPath ?? path`). */
  collection: PathMatcher;
  /** Where one record is updated and deleted. */
  item: PathMatcher;
}

type Operation = EntityConfig['write'][number];

/** An error answer in the emulator's platform error shape (`{ error: { code, message } }`, as its 404s are). */
export function errorAnswer(status: number, code: string, message: string, extra: Row = {}): EmulatorResponse {
  return { status, body: { error: { code, message, ...extra } } };
}

/** The record as the platform answers one: the body itself, or placed at `itemRecordPath`. */
export function recordAnswerBody(config: EntityConfig, record: Row): unknown {
  if (config.itemRecordPath === '') return structuredClone(record);
  const body: Row = {};
  setDeep(body, config.itemRecordPath, structuredClone(record));
  return body;
}

/** Methods a path takes for an entity, for a 405's `Allow`. */
function allowedMethods(config: EntityConfig, path: 'collection' | 'item'): string {
  const methods =
    path === 'collection'
      ? [config.method, ...(config.write.includes('create') ? ['POST'] : [])]
      : [
          ...(config.getById ? ['GET'] : []),
          ...(config.write.includes('update') ? [config.updateMethod] : []),
          ...(config.write.includes('delete') ? ['DELETE'] : []),
        ];
  return [...new Set(methods)].join(', ');
}

/**
 * Builds the write side of a config-driven emulator.
 *
 * @example
 * const writes = createWriteResponder({ meta, connectionConfig, store, notFound, okFlag });
 * const answer = writes(request, '/customers/cus_1'); // undefined when no write route matches
 */
export function createWriteResponder(options: WriteResponderOptions): WriteResponder {
  const { meta, connectionConfig, store, notFound, okFlag } = options;
  const routes: WriteRoute[] = Object.entries(meta.entities).map(([entity, config]) => ({
    entity,
    config,
    collection: compilePathTemplate(config.createPath ?? config.path, meta, connectionConfig),
    item: compilePathTemplate(itemPathTemplate(config), meta, connectionConfig),
  }));
  const idempotencyHeader = meta.retry.idempotencyHeader?.toLowerCase();
  const ledger = new Map<string, { fingerprint: string; response: EmulatorResponse }>();

  const methodNotAllowed = (request: EmulatorRequest, route: WriteRoute, path: 'collection' | 'item') => {
    const allow = allowedMethods(route.config, path);
    const what = path === 'item' ? `a ${route.entity} record` : `the ${route.entity} collection`;
    const answer = errorAnswer(
      405,
      'method_not_allowed',
      `${request.method} is not allowed on ${what} (allowed: ${allow})`,
    );
    return { ...answer, headers: { allow } };
  };

  /** The first answer again for a repeated idempotency key, else `write()`'s answer, remembered under the key. */
  const idempotent = (request: EmulatorRequest, write: () => EmulatorResponse): EmulatorResponse => {
    const raw = idempotencyHeader === undefined ? undefined : request.headers[idempotencyHeader];
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (key === undefined || key === '') return write();
    const fingerprint = `${request.method} ${request.url.pathname}${request.url.search}\n${request.rawBody}`;
    const earlier = ledger.get(key);
    if (earlier) {
      if (earlier.fingerprint !== fingerprint) {
        return errorAnswer(
          400,
          'idempotency_key_reused',
          `Keys for idempotent requests can only be used with the same parameters they were first used with (${key})`,
        );
      }
      const replay = structuredClone(earlier.response);
      return { ...replay, headers: { ...replay.headers, 'idempotent-replayed': 'true' } };
    }
    const response = write();
    if (response.status < 500) ledger.set(key, { fingerprint, response: structuredClone(response) });
    return response;
  };

  /** The written fields, or the 400/422 that refuses them. */
  const fieldsOf = (
    request: EmulatorRequest,
    route: WriteRoute,
    like: Row,
  ): { fields: Row; refusal?: undefined } | { fields?: undefined; refusal: EmulatorResponse } => {
    const read = writeFields(request, route.config, { wrapIsField: store.wrapIsField(route.entity), like });
    if (!read.ok) return { refusal: errorAnswer(400, 'invalid_request', read.message) };
    const invalid = invalidField(read.fields);
    if (invalid !== undefined) {
      return { refusal: errorAnswer(422, 'validation_failed', `${invalid} is invalid`, { field: invalid }) };
    }
    return { fields: read.fields };
  };

  const create = (request: EmulatorRequest, route: WriteRoute): EmulatorResponse => {
    const { fields, refusal } = fieldsOf(request, route, store.sample(route.entity));
    if (refusal) return refusal;
    const given = getPath(fields, route.config.idField);
    if (given !== undefined && given !== null && store.find(route.entity, String(given))) {
      return errorAnswer(409, 'resource_exists', `A ${route.entity} record with id ${JSON.stringify(given)} exists`);
    }
    const record = store.insert(route.entity, fields);
    const status = route.config.writeBody.encoding === 'json' ? 201 : 200;
    return { status, body: okFlag(recordAnswerBody(route.config, record)) };
  };

  const update = (request: EmulatorRequest, route: WriteRoute, current: Row, id: string): EmulatorResponse => {
    const { fields, refusal } = fieldsOf(request, route, current);
    if (refusal) return refusal;
    const record = store.update(route.entity, id, fields) as Row;
    return { status: 200, body: okFlag(recordAnswerBody(route.config, record)) };
  };

  const remove = (route: WriteRoute, id: string): EmulatorResponse => {
    store.delete(route.entity, id);
    return typeof meta.errorBody?.when.equals === 'boolean' ? { status: 200, body: okFlag({}) } : { status: 204 };
  };

  return (request, relative) => {
    const { method } = request;
    if (method === 'GET' || method === 'HEAD') return undefined;
    const query = request.url.searchParams;

    let refusedCreate: WriteRoute | undefined;
    if (method === 'POST') {
      const matching = routes.filter((r) => matchPath(r.collection, relative, query));
      const creator = matching.find((r) => r.config.write.includes('create'));
      if (creator) return idempotent(request, () => create(request, creator));
      refusedCreate = matching[0];
    }

    const operation: Operation = method === 'DELETE' ? 'delete' : 'update';
    const items = routes.flatMap((route) => {
      const m = matchPath(route.item, relative, query);
      return m?.id === undefined ? [] : [{ route, id: m.id }];
    });
    if (items.length > 0) {
      const serving = items.filter(
        ({ route }) =>
          route.config.write.includes(operation) && (operation === 'delete' || route.config.updateMethod === method),
      );
      // Several entities may share an item path (Graph API `/{id}`): the id decides.
      for (const { route, id } of serving) {
        const current = store.find(route.entity, id);
        if (!current) continue;
        return operation === 'delete'
          ? idempotent(request, () => remove(route, id))
          : idempotent(request, () => update(request, route, current, id));
      }
      const [first] = serving.length > 0 ? serving : items;
      if (first && serving.length > 0) return notFound(request, `No record with id ${JSON.stringify(first.id)}`);
      if (first && !refusedCreate) return methodNotAllowed(request, first.route, 'item');
    }
    return refusedCreate ? methodNotAllowed(request, refusedCreate, 'collection') : undefined;
  };
}
