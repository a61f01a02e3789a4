/**
 * Opaque `cursor` values for list routes: the position (a keyset, or a platform's next-page request) as JSON,
 * base64url, with an HMAC so a client can neither read meaning into it nor forge one. The MAC key is derived from the
 * active master key (HKDF), so rotating keys invalidates old cursors — a client then starts its listing again.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import type { KeyRing } from '../db/crypto/key-ring.js';
import { ProblemError } from './problem.js';

export class CursorCodec {
  readonly #key: Buffer;

  constructor(ring: KeyRing) {
    this.#key = Buffer.from(hkdfSync('sha256', ring.active.key, Buffer.alloc(0), 'engarde api cursor v1', 32));
  }

  /**
   * @example
   * const cursor = codec.encode('connections', { after: '…' });
   * codec.decode('connections', cursor, schema); // { after: '…' }
   */
  encode(scope: string, value: unknown): string {
    const body = Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
    return `${body}.${this.#mac(scope, body)}`;
  }

  /** @throws ProblemError 400 naming `cursor` for anything this codec did not issue for `scope`. */
  decode<T>(scope: string, cursor: string, schema: z.ZodType<T>): T {
    const invalid = () =>
      new ProblemError(400, 'Invalid request', 'cursor is not a cursor this list issued; start again without it', {
        errors: [{ in: 'querystring', path: '/cursor', message: 'is not valid' }],
      });
    const [body, mac, ...rest] = cursor.split('.');
    if (!body || !mac || rest.length > 0) throw invalid();
    const expected = Buffer.from(this.#mac(scope, body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid();
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw invalid();
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw invalid();
    return parsed.data;
  }

  #mac(scope: string, body: string): string {
    return createHmac('sha256', this.#key).update(scope).update('\0').update(body).digest('base64url');
  }
}
