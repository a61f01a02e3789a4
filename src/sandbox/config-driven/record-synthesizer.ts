/**
 * Seeded records for one entity, built only from the platform's config: the declared `fields` (or, for
 * OpenAPI-typed entities, the schema's required properties), every `mapping` source path with a value of the kind
 * its standard field needs, the incremental cursor field with increasing timestamps, and a unique `idField`
 * (dotted paths make nested objects). Deterministic: the same config gives the same records.
 */

import { type FieldKind, STANDARD_FIELDS } from '../../runtime/normalize/standard-entities.js';
import type { EntityConfig } from '../../runtime/platform-schema.js';
import { seededDate } from '../emulator-server.js';

export type Row = Record<string, unknown>;

/** The part of an OpenAPI document the synthesizer reads. */
export interface OpenApiSchemas {
  components?: { schemas?: Record<string, unknown> } | undefined;
}

export interface SynthesizeOptions {
  /** Records to make (default 25). */
  count?: number | undefined;
  /** The platform's trimmed OpenAPI description, for entities typed by `openapiSchema`. */
  openapi?: OpenApiSchemas | undefined;
  /**
   * When the record was made and last changed, for every timestamp it carries (the emulator's clock, for records
   * written after the seed); default: the seeded instant of its index. Ids keep the index's instant, so they stay
   * unique whatever the clock says.
   */
  at?: Date | undefined;
}

const UNSAFE_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/**
 * Splits a config path into object keys. A segment that starts with `@` keeps the rest of the path in one key, as
 * OData and similar APIs name their metadata (`@odata.nextLink`, `MetaInformation.@TotalPages`).
 */
export function pathKeys(path: string): string[] {
  const segments = path.split('.');
  const at = segments.findIndex((s) => s.startsWith('@'));
  if (at < 0) return segments;
  return [...segments.slice(0, at), segments.slice(at).join('.')];
}

/** Sets `value` at a dotted path in place, creating (or replacing non-object) intermediate objects. */
export function setDeep(target: Row, path: string, value: unknown): void {
  const keys = pathKeys(path);
  let node = target;
  for (const [i, key] of keys.entries()) {
    if (UNSAFE_KEYS.has(key)) throw new TypeError(`cannot set path "${path}"`);
    if (i === keys.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Row;
  }
}

const pad = (i: number) => String(i).padStart(4, '0');

/** Record `i`'s day: a day apart per record, so that dates differ as date-times do. */
const seededDay = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 86_400_000);

/**
 * When record `i` changed: a minute apart (as the hand-written emulators seed), or a day apart where the entity's
 * incremental filter is day-granular, so that a filter by date still separates records.
 */
export function seededInstant(entity: EntityConfig, i: number): Date {
  const daily = entity.incremental.kind !== 'none' && entity.incremental.format === 'date';
  return daily ? seededDay(i) : seededDate(i);
}

interface ParsedType {
  base: string;
  array: boolean;
}

function parseFieldType(type: string): ParsedType {
  const bare = type.replace(/\?$/, '').replace(/\|null$/, '');
  return { base: bare.replace(/\[\]$/, ''), array: bare.endsWith('[]') };
}

function scalarFor(base: string, name: string, i: number): unknown {
  switch (base) {
    case 'string':
      return /e-?mail/i.test(name) ? `user${i}@example.com` : `${name}-${i}`;
    case 'integer':
      return i;
    case 'number':
      return i + 0.5;
    case 'boolean':
      return i % 2 === 0;
    case 'object':
      return {};
    default:
      return null;
  }
}

function valueForFieldType(type: string, name: string, i: number): unknown {
  const { base, array } = parseFieldType(type);
  const value = scalarFor(base, name, i);
  return array ? [value] : value;
}

/** The declared base type of a top-level field (`undefined` for nested paths or undeclared fields). */
function declaredType(entity: EntityConfig, path: string): string | undefined {
  if (!entity.fields || pathKeys(path).length !== 1) return undefined;
  const type = entity.fields[path];
  return type === undefined ? undefined : parseFieldType(type).base;
}

function resolveRef(openapi: OpenApiSchemas | undefined, schema: unknown): Row | undefined {
  let current = schema;
  for (let depth = 0; depth < 10; depth++) {
    if (current === null || typeof current !== 'object') return undefined;
    const ref = (current as Row).$ref;
    if (typeof ref !== 'string') return current as Row;
    const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1];
    current = name === undefined ? undefined : openapi?.components?.schemas?.[name];
  }
  return undefined;
}

/** A minimal valid value for an OpenAPI property: simple types get a value, anything else the emptiest shape. */
function valueForSchema(
  openapi: OpenApiSchemas | undefined,
  schema: unknown,
  name: string,
  i: number,
  at: Date,
): unknown {
  const resolved = resolveRef(openapi, schema);
  if (!resolved) return null;
  if (Array.isArray(resolved.enum) && resolved.enum.length > 0) return resolved.enum[0];
  const alternatives = (resolved.anyOf ?? resolved.oneOf) as unknown[] | undefined;
  if (Array.isArray(alternatives)) {
    if (resolved.nullable === true) return null;
    return alternatives.length > 0 ? valueForSchema(openapi, alternatives[0], name, i, at) : null;
  }
  const type = Array.isArray(resolved.type) ? resolved.type.find((t) => t !== 'null') : resolved.type;
  switch (type) {
    case 'string':
      if (resolved.format === 'date-time') return at.toISOString();
      if (resolved.format === 'date') return at.toISOString().slice(0, 10);
      return `${name}-${i}`;
    case 'integer':
      return resolved.format === 'unix-time' ? Math.floor(at.getTime() / 1000) : i;
    case 'number':
      return i + 0.5;
    case 'boolean':
      return false;
    case 'array':
      return [];
    default:
      return resolved.nullable === true ? null : {};
  }
}

function fromOpenApi(openapi: OpenApiSchemas | undefined, schemaName: string, i: number, at: Date): Row {
  const schema = resolveRef(openapi, openapi?.components?.schemas?.[schemaName]);
  const out: Row = {};
  if (!schema) return out;
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  for (const name of required) {
    if (UNSAFE_KEYS.has(name)) continue;
    out[name] = valueForSchema(openapi, properties[name], name, i, at);
  }
  return out;
}

/**
 * A value of the kind a standard field needs, in the raw form its mapping declares; `at` is when the record changed,
 * `day` its date (date fields).
 */
function valueForMapping(
  field: string,
  kind: FieldKind,
  as: string | undefined,
  declared: string | undefined,
  at: Date,
  day: Date,
  i: number,
  minorUnits: boolean,
): unknown {
  const asDeclared = (value: number): unknown => (declared === 'string' ? String(value) : value);
  switch (kind) {
    case 'string':
      if (declared === 'integer' || declared === 'number') return i;
      return field.toLowerCase().includes('email') ? `user${i}@example.com` : `${field}-${i}`;
    case 'number':
      return asDeclared(i * 10);
    case 'boolean':
      return i % 2 === 0;
    case 'currency':
      return minorUnits ? 'usd' : 'USD';
    case 'datetime':
    case 'date':
      if (as === 'unix-seconds') return asDeclared(Math.floor(at.getTime() / 1000));
      if (as === 'unix-millis') return asDeclared(at.getTime());
      if (kind === 'datetime') return at.toISOString();
      return day.toISOString().slice(0, 10);
    case 'money':
      if (as === 'minor-units') return asDeclared(1000 + i);
      return declared === 'number' || declared === 'integer' ? 10 + i + 0.5 : `${10 + i}.50`;
  }
}

/** A cursor-field value in the incremental filter's format. */
function cursorValue(format: string, declared: string | undefined, at: Date): unknown {
  const number = (value: number): unknown => (declared === 'string' ? String(value) : value);
  switch (format) {
    case 'unix-seconds':
      return number(Math.floor(at.getTime() / 1000));
    case 'unix-millis':
      return number(at.getTime());
    case 'date':
      return at.toISOString().slice(0, 10);
    default:
      return at.toISOString();
  }
}

/** Whether some mapping puts an amount in minor units (then currencies are ISO lower case, as Stripe's). */
function usesMinorUnits(entity: EntityConfig): boolean {
  return Object.values(entity.mapping).some((s) => typeof s === 'object' && s.as === 'minor-units');
}

/**
 * The value of an entity's incremental cursor field for a change at `at`, in the form the synthesizer gives it: the
 * conversion of the standard field it is mapped to, else the incremental filter's format (ISO 8601, epoch seconds or
 * milliseconds, date), as a string where the field is declared one. `undefined` for entities without a cursor.
 *
 * @example
 * cursorValueAt(meta.entities.customers, new Date(clock.now())); // 1780272000 for a `unix-seconds` cursor
 */
export function cursorValueAt(entity: EntityConfig, at: Date): unknown {
  const incremental = entity.incremental;
  if (incremental.kind === 'none') return undefined;
  const declared = declaredType(entity, incremental.cursorField);
  if (entity.standard) {
    const kinds: Record<string, FieldKind> = STANDARD_FIELDS[entity.standard];
    for (const [field, source] of Object.entries(entity.mapping)) {
      const { path, as } = typeof source === 'string' ? { path: source, as: undefined } : source;
      const kind = kinds[field];
      if (path !== incremental.cursorField || !kind) continue;
      return valueForMapping(field, kind, as, declared, at, at, 0, usesMinorUnits(entity));
    }
  }
  return cursorValue(incremental.format, declared, at);
}

/** The id of record `i`: numeric where the config declares the id field a number, else a readable string. */
export function seededId(entityName: string, entity: EntityConfig, i: number): string | number {
  const declared = declaredType(entity, entity.idField);
  if (declared === 'integer' || declared === 'number') return 1000 + i;
  return `${entityName}-${pad(i)}`;
}

/**
 * Record `i` (1-based) of an entity.
 *
 * @example
 * synthesizeRecord('customers', meta.entities.customers, 1);
 * // { id: 'customers-0001', email: 'user1@example.com', created: 1767225660, … }
 */
export function synthesizeRecord(
  entityName: string,
  entity: EntityConfig,
  i: number,
  options: Pick<SynthesizeOptions, 'openapi' | 'at'> = {},
): Row {
  const record: Row = {};
  const seeded = seededInstant(entity, i);
  const at = options.at ?? seeded;
  const day = options.at ?? seededDay(i);
  if (entity.fields) {
    for (const [name, type] of Object.entries(entity.fields)) {
      if (!UNSAFE_KEYS.has(name)) record[name] = valueForFieldType(type, name, i);
    }
  } else if (entity.openapiSchema) {
    Object.assign(record, fromOpenApi(options.openapi, entity.openapiSchema, i, options.at ?? seededDate(i)));
  }

  const mapped = new Set<string>();
  let id: unknown = seededId(entityName, entity, i);
  if (entity.standard) {
    const kinds: Record<string, FieldKind> = STANDARD_FIELDS[entity.standard];
    const minorUnits = usesMinorUnits(entity);
    for (const [field, source] of Object.entries(entity.mapping)) {
      const { path, as } = typeof source === 'string' ? { path: source, as: undefined } : source;
      const kind = kinds[field];
      if (!kind) continue;
      const declared = declaredType(entity, path);
      if (path === entity.idField) {
        // The id is also a standard field (Slack's `ts` is the message's id and its time): it takes that field's
        // form, from the seeded instant so that it is unique per record (except for flags and currencies).
        const value = valueForMapping(field, kind, as, declared, seeded, seededDay(i), i, minorUnits);
        if (field !== 'id' && kind !== 'boolean' && kind !== 'currency') id = value;
        continue;
      }
      const value = valueForMapping(field, kind, as, declared, at, day, i, minorUnits);
      setDeep(record, path, value);
      mapped.add(path);
    }
  }

  const incremental = entity.incremental;
  if (incremental.kind !== 'none' && !mapped.has(incremental.cursorField)) {
    const declared = declaredType(entity, incremental.cursorField);
    setDeep(record, incremental.cursorField, cursorValue(incremental.format, declared, at));
  }

  setDeep(record, entity.idField, id);
  return record;
}

/**
 * The seeded records of an entity, oldest first (cursor timestamps increase with the index).
 *
 * @example
 * const rows = synthesizeRecords('orders', meta.entities.orders, { count: 25 });
 */
export function synthesizeRecords(entityName: string, entity: EntityConfig, options: SynthesizeOptions = {}): Row[] {
  const count = options.count ?? 25;
  return Array.from({ length: count }, (_, k) => synthesizeRecord(entityName, entity, k + 1, options));
}
