/**
 * Where a tenant's alerts are delivered: one URL per tenant and the Standard Webhooks signing secret (`whsec_` and
 * 32 random bytes in base64) that EnGarde signs them with. The secret is sealed like a credential (bound to the
 * tenant and column) and shown once, when it is issued; every `PUT` issues a new one.
 *
 * The URL is the tenant's, so it is hostile input: it must be `https://` (plain `http://` is accepted only outside
 * production, as for `ENGARDE_PUBLIC_URL`), carry no user info, and not name a private, loopback, link-local or
 * metadata address unless the operator allowed it (`ENGARDE_ALLOW_PRIVATE_NETWORK`). Names are checked again, on
 * every address they resolve to, when each delivery connects (`alert-delivery.ts`).
 */
import { randomBytes } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import { open, seal } from '../db/crypto/envelope-cipher.js';
import type { KeyRing } from '../db/crypto/key-ring.js';
import { alertDestinationSecretContext } from '../db/crypto/seal-context.js';
import type { Database } from '../db/schema.js';
import { PrivateNetworkError } from '../runtime/errors.js';
import { PrivateNetworkGuard } from '../runtime/http/private-network-guard.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Longest destination URL accepted. */
export const MAX_DESTINATION_URL_LENGTH = 2048;

/** The settings that decide which URLs are acceptable. */
export interface DestinationPolicy {
  production: boolean;
  /** CIDRs the operator allows (`ENGARDE_ALLOW_PRIVATE_NETWORK`). */
  allowPrivateNetwork: readonly string[];
}

/**
 * The guard every delivery connects through.
 * @example
 * got(url, { dnsLookup: destinationGuard(settings).lookup });
 */
export function destinationGuard(policy: DestinationPolicy): PrivateNetworkGuard {
  return new PrivateNetworkGuard({
    platformId: 'alert destination',
    field: 'url',
    allow: [...policy.allowPrivateNetwork],
  });
}

/**
 * Checks a destination URL and returns it normalized (without a fragment), or why it is refused.
 * @example
 * checkDestinationUrl('https://hooks.example.com/engarde', settings); // { ok: true, url: 'https://hooks.example.com/engarde' }
 * checkDestinationUrl('https://169.254.169.254/', settings);          // { ok: false, message: '… a cloud metadata address …' }
 */
export function checkDestinationUrl(
  input: string,
  policy: DestinationPolicy,
): { ok: true; url: string } | { ok: false; message: string } {
  if (input.length > MAX_DESTINATION_URL_LENGTH) {
    return { ok: false, message: `must be at most ${MAX_DESTINATION_URL_LENGTH} characters` };
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return { ok: false, message: 'must be an absolute URL' };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !policy.production)) {
    return { ok: false, message: policy.production ? 'must be an https:// URL' : 'must be an http(s):// URL' };
  }
  if (url.username !== '' || url.password !== '') return { ok: false, message: 'must not carry user info' };
  if (url.hostname === '') return { ok: false, message: 'must name a host' };
  try {
    destinationGuard(policy).checkHostname(url.hostname);
  } catch (error) {
    if (error instanceof PrivateNetworkError) {
      return {
        ok: false,
        message: `names ${error.host}, ${describeRange(error.range)}; deliveries go to public addresses only (an operator allows others with ENGARDE_ALLOW_PRIVATE_NETWORK)`,
      };
    }
    throw error;
  }
  url.hash = '';
  return { ok: true, url: url.toString() };
}

function describeRange(range: string): string {
  return range === 'metadata' ? 'a cloud metadata address' : `a ${range} address`;
}

/** A new Standard Webhooks signing secret: `whsec_` and 32 random bytes, base64. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export interface DestinationInfo {
  url: string;
  created_at: Date;
  updated_at: Date;
}

/**
 * Creates or replaces the tenant's destination with a new signing secret (returned here, and never again).
 * @example
 * const { destination, secret, created } = await setDestination(db, ring, tenantId, url, now);
 */
export async function setDestination(
  db: Db,
  ring: KeyRing,
  tenantId: string,
  url: string,
  now: Date,
): Promise<{ destination: DestinationInfo; secret: string; created: boolean }> {
  const secret = newSigningSecret();
  const sealed = JSON.stringify(seal(ring, alertDestinationSecretContext(tenantId), secret));
  const row = await db
    .insertInto('alert_destinations')
    .values({ tenant_id: tenantId, url, secret_data: sealed, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ url, secret_data: sealed, updated_at: now }))
    .returning(['url', 'created_at', 'updated_at', sql<boolean>`xmax = 0`.as('inserted')])
    .executeTakeFirstOrThrow();
  const { inserted, ...destination } = row;
  return { destination, secret, created: inserted };
}

/** The tenant's destination without its secret, or `undefined`. */
export async function getDestination(db: Db, tenantId: string): Promise<DestinationInfo | undefined> {
  return db
    .selectFrom('alert_destinations')
    .select(['url', 'created_at', 'updated_at'])
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
}

/** The destination with its secret opened, for signing a delivery; `undefined` when the tenant has none. */
export async function loadDestinationForDelivery(
  db: Db,
  ring: KeyRing,
  tenantId: string,
): Promise<{ url: string; secret: string } | undefined> {
  const row = await db
    .selectFrom('alert_destinations')
    .select(['url', 'secret_data'])
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  if (!row) return undefined;
  return { url: row.url, secret: open(ring, alertDestinationSecretContext(tenantId), row.secret_data) };
}

/** Removes the tenant's destination; `undefined` when there was none. */
export async function deleteDestination(db: Db, tenantId: string): Promise<DestinationInfo | undefined> {
  return db
    .deleteFrom('alert_destinations')
    .where('tenant_id', '=', tenantId)
    .returning(['url', 'created_at', 'updated_at'])
    .executeTakeFirst();
}

/** Scheme, host and port of a URL: what the audit log records (a path or query may hold a token). */
export function urlOrigin(url: string): string {
  return new URL(url).origin;
}
