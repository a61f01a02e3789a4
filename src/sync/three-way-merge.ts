/**
 * The three-way merge a push runs before it writes: the record as both sides last agreed (`base`), as changed here
 * (`local`) and as the platform has it now (`remote`), compared field by field (top-level fields of the platform's
 * own record). A field changed on one side only takes that side's value; a field changed on both sides to different
 * values follows the field's rule in `field_rules`, else the entity's `conflict_strategy`:
 *
 * - `platform_wins`: the platform's value stays; ours is dropped.
 * - `local_wins`: ours is written to the platform.
 * - `last_write_wins`: the side whose change is later (our edit time against the platform's update time; a tie,
 *   or an unknown time, goes to the platform).
 * - `manual`: nothing is written; the fields go to the conflicts queue with base, local and remote values.
 *
 * Deletions: a record deleted here while the platform changed it, or changed here while the platform deleted it, is
 * a conflict of the whole record (field `_deleted`), decided by the strategy (field rules do not apply). A platform
 * deletion's time is unknown, so `last_write_wins` keeps it.
 */
import type { ConflictField } from '../db/schema.js';
import { sameJson } from './same-json.js';

export const CONFLICT_STRATEGIES = ['platform_wins', 'local_wins', 'last_write_wins', 'manual'] as const;
export type ConflictStrategy = (typeof CONFLICT_STRATEGIES)[number];
export type FieldRule = 'platform' | 'local';
export type Json = Record<string, unknown>;

/** The pseudo-field that stands for the record's existence in a deletion conflict. */
export const DELETED_FIELD = '_deleted';

export interface MergeInput {
  /** The last agreed version; `null` for a record created here and never pushed. */
  base: Json | null;
  /** Our version; `null` when deleted here. */
  local: Json | null;
  /** The platform's version now; `null` when it no longer exists there. */
  remote: Json | null;
  strategy: ConflictStrategy;
  fieldRules?: Readonly<Record<string, FieldRule>> | undefined;
  /** When our change was made. */
  localUpdatedAt?: Date | undefined;
  /** When the platform's record last changed (its own update time). */
  remoteUpdatedAt?: Date | undefined;
}

/** What to write to the platform. */
export type RemoteWrite =
  | { op: 'none' }
  | { op: 'create'; data: Json }
  | { op: 'update'; changes: Json }
  | { op: 'delete' };

export type MergeResult =
  | {
      kind: 'merged';
      /** The record as it should be on both sides afterwards (`null`: deleted). */
      record: Json | null;
      write: RemoteWrite;
    }
  | { kind: 'conflict'; fields: Record<string, ConflictField> };

type Side = 'local' | 'remote';

function fieldsOf(...records: Array<Json | null>): string[] {
  const names = new Set<string>();
  for (const record of records) if (record) for (const name of Object.keys(record)) names.add(name);
  return [...names];
}

/** The value of a field, `undefined` when absent (absent and `undefined` compare alike). */
function fieldValue(record: Json | null, field: string): unknown {
  return record && Object.hasOwn(record, field) ? record[field] : undefined;
}

function changed(from: unknown, to: unknown): boolean {
  return !sameJson(from ?? null, to ?? null);
}

/** Which side a both-sides change goes to; `undefined` for the conflicts queue. */
function winner(input: MergeInput, field: string | undefined): Side | undefined {
  const rule = field === undefined ? undefined : input.fieldRules?.[field];
  if (rule) return rule === 'platform' ? 'remote' : 'local';
  switch (input.strategy) {
    case 'platform_wins':
      return 'remote';
    case 'local_wins':
      return 'local';
    case 'last_write_wins': {
      const local = input.localUpdatedAt?.getTime();
      const remote = input.remoteUpdatedAt?.getTime();
      return local !== undefined && (remote === undefined || local > remote) ? 'local' : 'remote';
    }
    case 'manual':
      return undefined;
  }
}

/**
 * @example
 * threeWayMerge({ base: { a: 1, b: 1 }, local: { a: 2, b: 1 }, remote: { a: 1, b: 3 }, strategy: 'manual' });
 * // { kind: 'merged', record: { a: 2, b: 3 }, write: { op: 'update', changes: { a: 2 } } }
 */
export function threeWayMerge(input: MergeInput): MergeResult {
  const { base, local, remote } = input;
  if (local === null && remote === null) return { kind: 'merged', record: null, write: { op: 'none' } };
  if (base === null) {
    // Created here: nothing to merge with.
    return local === null
      ? { kind: 'merged', record: remote, write: { op: 'none' } }
      : { kind: 'merged', record: local, write: { op: 'create', data: local } };
  }
  if (local === null) return mergeLocalDeletion(input, base, remote as Json);
  if (remote === null) return mergeRemoteDeletion(input, base, local);

  const record: Json = {};
  const changes: Json = {};
  const conflicts: Record<string, ConflictField> = {};
  for (const field of fieldsOf(base, local, remote)) {
    const b = fieldValue(base, field);
    const l = fieldValue(local, field);
    const r = fieldValue(remote, field);
    const localChanged = changed(b, l);
    const remoteChanged = changed(b, r);
    let side: Side | undefined = 'remote';
    if (localChanged && !remoteChanged) side = 'local';
    else if (localChanged && remoteChanged && changed(l, r)) side = winner(input, field);
    if (side === undefined) {
      conflicts[field] = { base: b ?? null, local: l ?? null, remote: r ?? null };
      continue;
    }
    const value = side === 'local' ? l : r;
    if (value !== undefined) record[field] = value;
    if (side === 'local' && changed(r, l)) changes[field] = l ?? null;
  }
  if (Object.keys(conflicts).length > 0) return { kind: 'conflict', fields: conflicts };
  return {
    kind: 'merged',
    record,
    write: Object.keys(changes).length > 0 ? { op: 'update', changes } : { op: 'none' },
  };
}

/** Deleted here: the deletion goes through unless the platform changed the record since the base. */
function mergeLocalDeletion(input: MergeInput, base: Json, remote: Json): MergeResult {
  const remoteChanges = fieldsOf(base, remote).filter((f) => changed(fieldValue(base, f), fieldValue(remote, f)));
  if (remoteChanges.length === 0) return { kind: 'merged', record: null, write: { op: 'delete' } };
  const side = winner(input, undefined);
  if (side === 'local') return { kind: 'merged', record: null, write: { op: 'delete' } };
  if (side === 'remote') return { kind: 'merged', record: remote, write: { op: 'none' } };
  const fields: Record<string, ConflictField> = {
    [DELETED_FIELD]: { base: false, local: true, remote: false },
  };
  for (const f of remoteChanges) {
    fields[f] = { base: fieldValue(base, f) ?? null, local: null, remote: fieldValue(remote, f) ?? null };
  }
  return { kind: 'conflict', fields };
}

/** Deleted on the platform: our changes are recreated there only when the strategy says ours win. */
function mergeRemoteDeletion(input: MergeInput, base: Json, local: Json): MergeResult {
  const localChanges = fieldsOf(base, local).filter((f) => changed(fieldValue(base, f), fieldValue(local, f)));
  if (localChanges.length === 0) return { kind: 'merged', record: null, write: { op: 'none' } };
  // A deletion's time is unknown: last_write_wins keeps it.
  const side = input.strategy === 'last_write_wins' ? 'remote' : winner(input, undefined);
  if (side === 'remote') return { kind: 'merged', record: null, write: { op: 'none' } };
  if (side === 'local') return { kind: 'merged', record: local, write: { op: 'create', data: local } };
  const fields: Record<string, ConflictField> = {
    [DELETED_FIELD]: { base: false, local: false, remote: true },
  };
  for (const f of localChanges) {
    fields[f] = { base: fieldValue(base, f) ?? null, local: fieldValue(local, f) ?? null, remote: null };
  }
  return { kind: 'conflict', fields };
}
