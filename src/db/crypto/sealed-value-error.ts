/**
 * The one error a stored secret gives when it cannot be opened. It names where the value lives (table, field,
 * tenant, row) and why, never its content nor any key material: safe to log and to show an operator.
 */
import { describeContext, type SealContext } from './seal-context.js';

/**
 * - `malformed`: the stored JSON is not a sealed value of a known format (the message names the bad field).
 * - `unknown-key`: it was wrapped by a master key whose id is not in `ENGARDE_ENCRYPTION_KEYS`.
 * - `unauthentic`: AES-GCM authentication failed: the value was altered, was copied from another row or field,
 *   or the key under that id is not the one that sealed it.
 * - `not-json`: it opened, but is not the JSON the caller asked for.
 */
export type SealedValueFailure = 'malformed' | 'unknown-key' | 'unauthentic' | 'not-json';

export class SealedValueError extends Error {
  override readonly name = 'SealedValueError';
  readonly reason: SealedValueFailure;
  readonly table: string;
  readonly field: string;
  readonly tenantId: string;
  readonly rowId: string;
  /** The master key id the value names, when it names a well-formed one. */
  readonly keyId: string | undefined;

  /**
   * @example
   * throw new SealedValueError('unknown-key', context, 'the key id "v0" is not in ENGARDE_ENCRYPTION_KEYS', 'v0');
   */
  constructor(reason: SealedValueFailure, context: SealContext, detail: string, keyId?: string) {
    super(`cannot open ${describeContext(context)}: ${detail}`);
    this.reason = reason;
    this.table = context.table;
    this.field = context.field;
    this.tenantId = context.tenantId;
    this.rowId = context.rowId;
    this.keyId = keyId;
  }

  /** A plain description for logs and problem bodies (no stack). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      reason: this.reason,
      table: this.table,
      field: this.field,
      tenantId: this.tenantId,
      rowId: this.rowId,
      keyId: this.keyId,
    };
  }
}
