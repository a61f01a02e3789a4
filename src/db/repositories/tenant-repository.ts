/**
 * Tenants and their API keys. A key is shown once, when created; the database keeps only a SHA-256 of its secret
 * part (the secret is 256 random bits, so a fast hash is enough: there is nothing to guess), compared in constant
 * time. The key names its tenant and key id, so it is found by primary key with no index outside the tenant.
 *
 * Key format: `egk_<tenant id, 32 hex>_<key id, 32 hex>_<secret, 43 base64url>`.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface CreatedTenant {
  tenantId: string;
  name: string;
  apiKey: string;
  apiKeyId: string;
}

export interface AuthenticatedKey {
  tenantId: string;
  apiKeyId: string;
}

const KEY_PATTERN = /^egk_([0-9a-f]{32})_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

const hex = (uuid: string) => uuid.replace(/-/g, '');
const uuidOf = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
const hashSecret = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();

/**
 * @example
 * const { tenantId, apiKey } = await createTenant(db, 'Acme');
 */
export async function createTenant(db: Kysely<Database>, name: string): Promise<CreatedTenant> {
  const tenantId = randomUUID();
  return db.transaction().execute(async (trx) => {
    await trx.insertInto('tenants').values({ tenant_id: tenantId, name }).execute();
    const key = await insertKey(trx, tenantId, 'created with the tenant');
    await trx
      .insertInto('audit_log')
      .values({
        tenant_id: tenantId,
        actor: 'cli',
        action: 'tenant.created',
        target_type: 'tenant',
        target_id: tenantId,
        details: JSON.stringify({ name, api_key_id: key.apiKeyId }),
      })
      .execute();
    return { tenantId, name, ...key };
  });
}

async function insertKey(db: Kysely<Database>, tenantId: string, label: string | null) {
  const apiKeyId = randomUUID();
  const secret = randomBytes(32).toString('base64url');
  await db
    .insertInto('api_keys')
    .values({ tenant_id: tenantId, api_key_id: apiKeyId, secret_hash: hashSecret(secret), label })
    .execute();
  return { apiKey: `egk_${hex(tenantId)}_${hex(apiKeyId)}_${secret}`, apiKeyId };
}

/**
 * The tenant a presented key belongs to, or `undefined` (malformed, unknown, revoked, or a wrong secret: the
 * caller cannot tell which).
 */
export async function authenticateKey(db: Kysely<Database>, presented: string): Promise<AuthenticatedKey | undefined> {
  const match = KEY_PATTERN.exec(presented);
  if (!match) return undefined;
  const tenantId = uuidOf(match[1] as string);
  const apiKeyId = uuidOf(match[2] as string);
  const row = await db
    .selectFrom('api_keys')
    .select(['secret_hash', 'revoked_at'])
    .where('tenant_id', '=', tenantId)
    .where('api_key_id', '=', apiKeyId)
    .executeTakeFirst();
  const presentedHash = hashSecret(match[3] as string);
  // Compared even when no row matched, so a miss takes as long as a wrong secret.
  const stored = row?.secret_hash ?? Buffer.alloc(presentedHash.length);
  const equal = stored.length === presentedHash.length && timingSafeEqual(stored, presentedHash);
  if (!row || !equal || row.revoked_at !== null) return undefined;
  return { tenantId, apiKeyId };
}
