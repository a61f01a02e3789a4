/**
 * The `state` of an OAuth authorization: `<tenant id, 32 hex digits>.<256 random bits, base64url>`.
 *
 * The callback carries no tenant key, so the tenant id is in the value only to find the row by its primary key
 * (tenant, SHA-256 of the whole value). It grants nothing: the row, found by the hash of all 256 random bits, is what
 * says which tenant and platform the authorization is for.
 */
import { createHash, randomBytes } from 'node:crypto';

const STATE = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/;

/**
 * @example
 * newOAuthState('0b6f…-…'); // '0b6f…e2.mY3k…Q' (32 hex digits, a dot, 43 base64url characters)
 */
export function newOAuthState(tenantId: string): string {
  const hex = tenantId.toLowerCase().replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new TypeError('newOAuthState: tenantId must be a UUID');
  return `${hex}.${randomBytes(32).toString('base64url')}`;
}

/**
 * The tenant and hash a state value names, or `undefined` when it is not shaped as EnGarde's.
 * @example
 * parseOAuthState(state); // { tenantId: '0b6f…-…', stateHash: <Buffer 32 bytes> }
 * parseOAuthState('forged'); // undefined
 */
export function parseOAuthState(state: string | undefined): { tenantId: string; stateHash: Buffer } | undefined {
  const match = typeof state === 'string' ? STATE.exec(state) : null;
  const hex = match?.[1];
  if (!match || hex === undefined) return undefined;
  const tenantId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { tenantId, stateHash: oauthStateHash(match[0]) };
}

/** SHA-256 of the whole state value: what `platform_oauth_states.state_hash` holds. */
export function oauthStateHash(state: string): Buffer {
  return createHash('sha256').update(state, 'utf8').digest();
}
