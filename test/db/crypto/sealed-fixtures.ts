/**
 * Test fixtures for the credential vault: key rings, and a tenant's rows in every encrypted column sealed with
 * recognisable secrets, with what each must open to.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { open, openJson, seal } from '../../../src/db/crypto/envelope-cipher.js';
import { type KeyRing, parseKeyRing } from '../../../src/db/crypto/key-ring.js';
import type { SealContext } from '../../../src/db/crypto/seal-context.js';
import {
  alertDestinationSecretContext,
  connectionAuthContext,
  oauthVerifierContext,
  syncCheckpointContext,
  webhookSecretContext,
} from '../../../src/db/crypto/seal-context.js';
import { SEALED_COLUMNS, type SealedTable } from '../../../src/db/crypto/sealed-columns.js';
import type { Database, SealedValue } from '../../../src/db/schema.js';

export interface TestKeys {
  v1: string;
  v2: string;
  /** `v1` only: what the rows are first sealed under. */
  ringV1: KeyRing;
  /** `v2,v1`: rotation's ring. */
  ringV2V1: KeyRing;
  /** `v2` only: the old key removed. */
  ringV2: KeyRing;
  /** The text of each, for a child process's environment. */
  text: { v1: string; v2v1: string; v2: string };
}

export function testKeys(): TestKeys {
  const v1 = `v1:${randomBytes(32).toString('base64')}`;
  const v2 = `v2:${randomBytes(32).toString('base64')}`;
  return {
    v1,
    v2,
    ringV1: parseKeyRing(v1),
    ringV2V1: parseKeyRing(`${v2},${v1}`),
    ringV2: parseKeyRing(v2),
    text: { v1, v2v1: `${v2},${v1}`, v2 },
  };
}

/** The base64 of every master key in `keys`: must appear in no message and no dump. */
export function keyMaterial(keys: TestKeys): string[] {
  return [keys.v1, keys.v2].map((entry) => entry.slice(entry.indexOf(':') + 1));
}

/** One stored secret: where it lives and the text it must open to. */
export interface ExpectedSecret {
  table: SealedTable;
  context: SealContext;
  /** What `open` (a string) or `openJson` (an object) gives back. */
  plaintext: string | object;
  /** Every secret string inside it, for leak checks. */
  secrets: string[];
}

export interface SeededTenant {
  tenantId: string;
  connectionIds: string[];
  webhookId: string;
  stateHash: Buffer;
  expected: ExpectedSecret[];
}

/** A recognisable secret (`sk_test_…`), unique per call. */
export function secret(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/**
 * A tenant with `connections` connections (credentials sealed under `ring`), a webhook with a signing secret and
 * a pending OAuth state with a PKCE verifier.
 */
export async function seedTenant(
  db: Kysely<Database>,
  ring: KeyRing,
  options: { connections?: number } = {},
): Promise<SeededTenant> {
  const tenantId = randomUUID();
  await db.insertInto('tenants').values({ tenant_id: tenantId, name: 'Vault test tenant' }).execute();
  const expected: ExpectedSecret[] = [];
  const connectionIds: string[] = [];
  for (let i = 0; i < (options.connections ?? 3); i++) {
    const connectionId = randomUUID();
    connectionIds.push(connectionId);
    const plaintext = { accessToken: secret('at'), refreshToken: secret('rt'), apiKey: secret('sk_test') };
    const context = connectionAuthContext(tenantId, connectionId);
    await db
      .insertInto('platform_connections')
      .values({
        tenant_id: tenantId,
        connection_id: connectionId,
        platform: 'stripe',
        label: `connection ${i}`,
        auth_data: JSON.stringify(seal(ring, context, plaintext)),
      })
      .execute();
    expected.push({ table: 'platform_connections', context, plaintext, secrets: Object.values(plaintext) });
  }

  const webhookId = randomUUID();
  const webhookSecrets = { secrets: [secret('whsec'), secret('whsec')] };
  const webhookContext = webhookSecretContext(tenantId, webhookId);
  await db
    .insertInto('platform_webhooks')
    .values({
      tenant_id: tenantId,
      webhook_id: webhookId,
      connection_id: connectionIds[0]!,
      platform: 'stripe',
      endpoint_url: `https://engarde.example/webhooks/stripe/all?c=${webhookId}`,
      secret_data: JSON.stringify(seal(ring, webhookContext, webhookSecrets)),
    })
    .execute();
  expected.push({
    table: 'platform_webhooks',
    context: webhookContext,
    plaintext: webhookSecrets,
    secrets: webhookSecrets.secrets,
  });

  const verifier = secret('pkce').padEnd(64, 'x');
  const stateHash = createHash('sha256').update(secret('state')).digest();
  const stateContext = oauthVerifierContext(tenantId, stateHash);
  await db
    .insertInto('platform_oauth_states')
    .values({
      tenant_id: tenantId,
      state_hash: stateHash,
      platform: 'shopify',
      verifier_data: JSON.stringify(seal(ring, stateContext, verifier)),
      expires_at: new Date(Date.now() + 10 * 60_000),
    })
    .execute();
  expected.push({ table: 'platform_oauth_states', context: stateContext, plaintext: verifier, secrets: [verifier] });

  // A sync run's resume point: the next page's request, which may carry whatever a platform put in its next link.
  const runId = randomUUID();
  const checkpoint = {
    next: { method: 'GET', url: `https://api.example/v1/orders?page_token=${secret('pt')}`, query: {} },
  };
  const runContext = syncCheckpointContext(tenantId, runId);
  await db
    .insertInto('sync_runs')
    .values({
      tenant_id: tenantId,
      run_id: runId,
      connection_id: connectionIds[0]!,
      entity_type: 'orders',
      mode: 'full',
      checkpoint_data: JSON.stringify(seal(ring, runContext, checkpoint)),
    })
    .execute();
  expected.push({ table: 'sync_runs', context: runContext, plaintext: checkpoint, secrets: [checkpoint.next.url] });

  // The tenant's alert destination: its Standard Webhooks signing secret.
  const alertSecret = `whsec_${randomBytes(32).toString('base64')}`;
  const alertContext = alertDestinationSecretContext(tenantId);
  await db
    .insertInto('alert_destinations')
    .values({
      tenant_id: tenantId,
      url: 'https://alerts.example/engarde',
      secret_data: JSON.stringify(seal(ring, alertContext, alertSecret)),
    })
    .execute();
  expected.push({
    table: 'alert_destinations',
    context: alertContext,
    plaintext: alertSecret,
    secrets: [alertSecret, alertSecret.slice('whsec_'.length)],
  });

  return { tenantId, connectionIds, webhookId, stateHash, expected };
}

/** Every sealed value in the database, by table, with the context its row gives. */
export async function readSealed(
  db: Kysely<Database>,
): Promise<Array<{ table: SealedTable; context: SealContext; stored: SealedValue }>> {
  const out: Array<{ table: SealedTable; context: SealContext; stored: SealedValue }> = [];
  for (const column of SEALED_COLUMNS) {
    const rows = (await db.selectFrom(column.table).selectAll().execute()) as unknown as Array<Record<string, unknown>>;
    for (const row of rows) {
      const stored = row[column.column];
      if (stored === null) continue;
      out.push({ table: column.table, context: column.context(row), stored: stored as SealedValue });
    }
  }
  return out;
}

/** Opens every expected secret from its row under `ring` and returns what each gave (to compare with `expected`). */
export async function openAll(db: Kysely<Database>, ring: KeyRing, expected: ExpectedSecret[]) {
  const stored = await readSealed(db);
  return expected.map((e) => {
    const match = stored.find((s) => sameContext(s.context, e.context));
    if (!match) throw new Error(`no row for ${JSON.stringify(e.context)}`);
    const plaintext =
      typeof e.plaintext === 'string' ? open(ring, e.context, match.stored) : openJson(ring, e.context, match.stored);
    return { kid: match.stored.kid, plaintext };
  });
}

function sameContext(a: SealContext, b: SealContext): boolean {
  return a.table === b.table && a.field === b.field && a.tenantId === b.tenantId && a.rowId === b.rowId;
}
