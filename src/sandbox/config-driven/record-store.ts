/**
 * The config-driven emulator's records: per entity, the seeded rows in list order, and the writes made to them since
 * (by the adapter over HTTP, or by a test through the emulator's control). A new record is a synthesized one (so it
 * has every field the entity's records have, and an id of the same shape) with the written fields over it; a write
 * sets the entity's incremental cursor field to the emulator's clock, in the field's format, so `since` listings
 * see it. Creates go at the end and updates stay in place, so list order is stable for pagination.
 */
import type { PlatformMeta } from '../../runtime/adapter-types.js';
import { getPath } from '../../runtime/dotted-path.js';
import type { EntityConfig } from '../../runtime/platform-schema.js';
import type { Clock } from '../emulator-clock.js';
import {
  cursorValueAt,
  type OpenApiSchemas,
  type Row,
  setDeep,
  synthesizeRecord,
  synthesizeRecords,
} from './record-synthesizer.js';

export interface RecordStoreOptions {
  /** Records seeded per entity. */
  count: number;
  openapi?: OpenApiSchemas | undefined;
  /** The emulator's clock: writes stamp the cursor field with it. */
  now: Clock;
}

const UNSAFE_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

export function isPlainObject(value: unknown): value is Row {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Merges `changes` into `target` in place: plain objects key by key (HubSpot `properties`, Stripe `metadata`,
 * JSON:API `attributes` keep the keys a write leaves out), anything else (scalars, arrays, `null`) replaces.
 *
 * @example
 * mergeFields({ name: 'a', metadata: { plan: 'pro' } }, { metadata: { tier: 'gold' } });
 * // { name: 'a', metadata: { plan: 'pro', tier: 'gold' } }
 */
export function mergeFields(target: Row, changes: Row): Row {
  for (const [key, value] of Object.entries(changes)) {
    if (UNSAFE_KEYS.has(key)) continue;
    const current = target[key];
    if (isPlainObject(current) && isPlainObject(value)) mergeFields(current, value);
    else target[key] = structuredClone(value);
  }
  return target;
}

/** A record id as the path of a request carries it. */
export function idText(record: unknown, idField: string): string {
  return String(getPath(record, idField));
}

/**
 * @example
 * const store = new RecordStore(meta, { count: 25, now: clock.now });
 * const created = store.insert('customers', { email: 'ada@example.com' }); // id 'customers-0026', cursor = now
 * store.update('customers', String(created.id), { name: 'Ada' });
 */
export class RecordStore {
  readonly #meta: PlatformMeta;
  readonly #options: RecordStoreOptions;
  readonly #rows = new Map<string, Row[]>();
  /** Index of the next synthesized record per entity (ids of created records follow the seeded ones). */
  readonly #next = new Map<string, number>();
  readonly #samples = new Map<string, Row>();

  constructor(meta: PlatformMeta, options: RecordStoreOptions) {
    this.#meta = meta;
    this.#options = options;
    for (const [entity, config] of Object.entries(meta.entities)) {
      this.#rows.set(entity, synthesizeRecords(entity, config, { count: options.count, openapi: options.openapi }));
      this.#next.set(entity, options.count + 1);
    }
  }

  entities(): string[] {
    return [...this.#rows.keys()];
  }

  /** The live rows of an entity, in list order (empty for an unknown entity); callers must not change them. */
  rows(entity: string): readonly Row[] {
    return this.#rows.get(entity) ?? [];
  }

  /** The live record with this id, if any. */
  find(entity: string, id: string): Row | undefined {
    const config = this.#config(entity);
    return this.rows(entity).find((r) => idText(r, config.idField) === id);
  }

  /**
   * Adds a record at the end of the list: a synthesized record with `fields` merged over it. The id is the one
   * `fields` carries, else a new one of the seeded ids' shape; the cursor field is the clock's now.
   *
   * @throws RangeError for an unknown entity or an id already taken.
   */
  insert(entity: string, fields: Row = {}): Row {
    const config = this.#config(entity);
    const at = new Date(this.#options.now());
    const given = getPath(fields, config.idField);
    if (given !== undefined && given !== null && this.find(entity, String(given))) {
      throw new RangeError(`${this.#meta.id} ${entity}: a record with id ${JSON.stringify(String(given))} exists`);
    }
    let record: Row;
    do {
      const i = this.#next.get(entity) ?? 1;
      this.#next.set(entity, i + 1);
      record = synthesizeRecord(entity, config, i, { openapi: this.#options.openapi, at });
    } while (given === undefined && this.find(entity, idText(record, config.idField)));
    mergeFields(record, fields);
    this.#stamp(config, record, at);
    (this.#rows.get(entity) as Row[]).push(record);
    return structuredClone(record);
  }

  /**
   * Merges `changes` into a record in place (its id stays) and sets its cursor field to the clock's now.
   * @returns the updated record, or `undefined` when there is none with this id.
   */
  update(entity: string, id: string, changes: Row): Row | undefined {
    const config = this.#config(entity);
    const record = this.find(entity, id);
    if (!record) return undefined;
    const originalId = getPath(record, config.idField);
    mergeFields(record, changes);
    setDeep(record, config.idField, originalId);
    this.#stamp(config, record, new Date(this.#options.now()));
    return structuredClone(record);
  }

  /** Removes a record; `false` when there is none with this id. */
  delete(entity: string, id: string): boolean {
    const config = this.#config(entity);
    const rows = this.#rows.get(entity) as Row[];
    const index = rows.findIndex((r) => idText(r, config.idField) === id);
    if (index < 0) return false;
    rows.splice(index, 1);
    return true;
  }

  /** Replaces an entity's records (copies), in the order given. */
  replace(entity: string, rows: readonly Row[]): void {
    this.#config(entity);
    this.#rows.set(entity, structuredClone([...rows]));
  }

  /**
   * A record of the entity as the synthesizer makes it (record 1, whatever the store holds now): the shape written
   * form values are typed by, and where `wrapIsField` looks.
   */
  sample(entity: string): Row {
    let sample = this.#samples.get(entity);
    if (!sample) {
      sample = synthesizeRecord(entity, this.#config(entity), 1, { openapi: this.#options.openapi });
      this.#samples.set(entity, sample);
    }
    return structuredClone(sample);
  }

  /**
   * Whether the entity's records carry `writeBody.wrapIn` as a field of their own (HubSpot `properties`, Airtable
   * `fields`): then a write's body is merged as it is, not unwrapped from that envelope.
   */
  wrapIsField(entity: string): boolean {
    const wrapIn = this.#config(entity).writeBody.wrapIn;
    return wrapIn !== undefined && isPlainObject(this.sample(entity)[wrapIn]);
  }

  #config(entity: string): EntityConfig {
    const config = Object.hasOwn(this.#meta.entities, entity) ? this.#meta.entities[entity] : undefined;
    if (!config) {
      const known = Object.keys(this.#meta.entities).sort().join(', ');
      throw new RangeError(`${this.#meta.id}: unknown entity "${entity}"; known entities: ${known}`);
    }
    return config;
  }

  /** Sets the cursor field to `at` (not where the cursor is the id itself, which must not change). */
  #stamp(config: EntityConfig, record: Row, at: Date): void {
    const incremental = config.incremental;
    if (incremental.kind === 'none' || incremental.cursorField === config.idField) return;
    setDeep(record, incremental.cursorField, cursorValueAt(config, at));
  }
}
