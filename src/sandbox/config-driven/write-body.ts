/**
 * The fields of a write request as the config-driven emulator reads them: the body decoded as the entity's
 * `writeBody.encoding` says (JSON; a form with bracketed nesting, as Stripe takes it; a form whose object and array
 * values are JSON text, as the Graph API takes it), out of its `wrapIn` envelope, with form strings typed like the
 * record's own values (`amount=100` is the number 100 where records have a number there).
 *
 * The emulator's one validation rule lives here too: a field whose value is the string `"__invalid__"`
 * (`INVALID_VALUE`) makes a create or update fail with 422, so tests (and `engarde sandbox` users) can provoke the
 * platform's validation error over plain HTTP, without any setup.
 */
import type { EntityConfig } from '../../runtime/platform-schema.js';
import type { EmulatorRequest } from '../emulator-server.js';
import { decodeBracketForm } from '../platforms/stripe-emulator.js';
import { isPlainObject } from './record-store.js';
import type { Row } from './record-synthesizer.js';

/** A written value the emulator refuses as invalid (422), wherever it appears in the fields. */
export const INVALID_VALUE = '__invalid__';

export type WriteFields = { ok: true; fields: Row } | { ok: false; message: string };

export interface WriteFieldsOptions {
  /** Whether `wrapIn` names a field of the record (HubSpot `properties`) rather than an envelope to take off. */
  wrapIsField: boolean;
  /** A record whose value types form strings are converted to (the record updated, or a sample one). */
  like: Row;
}

function contentTypeOf(request: EmulatorRequest): string {
  const value = request.headers['content-type'];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/** A form string as the type the record has at the same place (numbers and booleans); anything else as it is. */
function typedLike(value: unknown, like: unknown): unknown {
  if (typeof value === 'string') {
    if (typeof like === 'number' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
    if (typeof like === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => typedLike(v, Array.isArray(like) ? like[0] : undefined));
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, typedLike(v, isPlainObject(like) ? like[k] : undefined)]),
    );
  }
  return value;
}

function decode(request: EmulatorRequest, encoding: EntityConfig['writeBody']['encoding']): WriteFields {
  const contentType = contentTypeOf(request);
  if (encoding === 'json') {
    if (request.bodyError !== undefined)
      return { ok: false, message: `the body is not valid JSON: ${request.bodyError}` };
    if (request.rawBody !== '' && !/\bjson\b|[+-]json/i.test(contentType)) {
      return { ok: false, message: `expected a JSON body, got content-type ${JSON.stringify(contentType)}` };
    }
    if (!isPlainObject(request.body)) return { ok: false, message: 'the body must be a JSON object' };
    return { ok: true, fields: request.body };
  }
  if (request.rawBody !== '' && !contentType.includes('application/x-www-form-urlencoded')) {
    return { ok: false, message: `expected a form body, got content-type ${JSON.stringify(contentType)}` };
  }
  const flat = isPlainObject(request.body) ? (request.body as Record<string, string>) : {};
  const fields = decodeBracketForm(flat);
  if (encoding === 'form-json-values') {
    for (const [key, value] of Object.entries(fields)) {
      if (typeof value !== 'string' || !/^\s*[[{]/.test(value)) continue;
      try {
        fields[key] = JSON.parse(value);
      } catch {
        return { ok: false, message: `parameter ${key} is not valid JSON` };
      }
    }
  }
  return { ok: true, fields };
}

/**
 * The fields a create or update request writes, or why its body cannot be read (the emulator answers 400).
 *
 * @example
 * writeFields(request, meta.entities.customers, { wrapIsField: false, like: store.sample('customers') });
 * // Stripe's form `email=a%40b.c&metadata[plan]=pro`
 * // → { ok: true, fields: { email: 'a@b.c', metadata: { plan: 'pro' } } }
 */
export function writeFields(request: EmulatorRequest, config: EntityConfig, options: WriteFieldsOptions): WriteFields {
  const decoded = decode(request, config.writeBody.encoding);
  if (!decoded.ok) return decoded;
  let fields = decoded.fields;
  const wrapIn = config.writeBody.wrapIn;
  if (wrapIn !== undefined) {
    const inner = fields[wrapIn];
    if (!isPlainObject(inner))
      return { ok: false, message: `the body must carry the record as an object in "${wrapIn}"` };
    if (!options.wrapIsField) fields = inner;
  }
  return { ok: true, fields: config.writeBody.encoding === 'json' ? fields : (typedLike(fields, options.like) as Row) };
}

/**
 * The dotted path of the first value that is `INVALID_VALUE`, if any.
 *
 * @example
 * invalidField({ name: 'Ada', address: { city: '__invalid__' } }); // 'address.city'
 */
export function invalidField(value: unknown, at = ''): string | undefined {
  if (value === INVALID_VALUE) return at;
  const entries = Array.isArray(value)
    ? value.map((v, i) => [String(i), v] as const)
    : isPlainObject(value)
      ? Object.entries(value)
      : [];
  for (const [key, v] of entries) {
    const found = invalidField(v, at === '' ? key : `${at}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}
