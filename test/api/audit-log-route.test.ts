/**
 * `GET /audit-log`: a tenant's audit rows newest first, every row once across pages (rows written in one
 * transaction share their timestamp to the microsecond, so the cursor's tie-break on the id matters), the
 * `action`, `target_type` and `since` filters, cursors that belong to their listing, and no other tenant's rows.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../../src/db/repositories/audit-repository.js';
import { startTestService, type TestService } from '../support/service.js';

let service: TestService;

beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.close();
});

interface Entry {
  audit_id: string;
  at: string;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  details: Record<string, unknown>;
}

async function list(apiKey: string, query = '') {
  const res = await service.app.inject({ method: 'GET', url: `/audit-log${query}`, headers: service.auth(apiKey) });
  return { status: res.statusCode, body: res.json() as { entries: Entry[]; next_cursor: string | null } };
}

async function listAll(apiKey: string, query: string) {
  const entries: Entry[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = query.includes('?') ? '&' : '?';
    const res = await list(apiKey, `${query}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status).toBe(200);
    entries.push(...res.body.entries);
    cursor = res.body.next_cursor;
    pages++;
  } while (cursor);
  return { entries, pages };
}

/** A tenant (whose creation is audited) and 20 more rows: 12 in one transaction (one timestamp), 8 a day earlier. */
async function seeded() {
  const { tenantId, apiKey } = await service.tenant('Audited');
  await service.ctx.db.transaction().execute(async (trx) => {
    for (let i = 0; i < 12; i++) {
      await audit(trx, {
        tenantId,
        actor: 'api_key:k1',
        action: i % 3 === 0 ? 'alert.acknowledged' : 'connection.created',
        targetType: i % 3 === 0 ? 'alert' : 'connection',
        targetId: `target-${i}`,
        details: { i },
      });
    }
  });
  for (let i = 12; i < 20; i++) {
    await audit(service.ctx.db, {
      tenantId,
      actor: 'system',
      action: 'webhook.registered',
      targetType: 'webhook',
      targetId: `target-${i}`,
      details: { i },
    });
  }
  await sql`update audit_log set at = at - interval '1 day' where tenant_id = ${tenantId} and action = 'webhook.registered'`.execute(
    service.ctx.db,
  );
  return { tenantId, apiKey };
}

describe('GET /audit-log', () => {
  it('lists every row once, newest first, across pages (rows sharing a timestamp included)', async () => {
    const { apiKey } = await seeded();
    const { entries, pages } = await listAll(apiKey, '?limit=5');
    expect(pages).toBe(5);
    expect(entries).toHaveLength(21);
    expect(new Set(entries.map((e) => e.audit_id)).size).toBe(21);
    const order = entries.map((e) => [e.at, BigInt(e.audit_id)] as const);
    for (let i = 1; i < order.length; i++) {
      const [a, b] = [order[i - 1], order[i]] as [readonly [string, bigint], readonly [string, bigint]];
      expect(a[0] > b[0] || (a[0] === b[0] && a[1] > b[1])).toBe(true);
    }
    // The 12 rows of one transaction share their timestamp; the day-old ones come last.
    expect(new Set(entries.filter((e) => e.actor === 'api_key:k1').map((e) => e.at)).size).toBe(1);
    expect(entries.slice(-8).map((e) => e.action)).toEqual(Array(8).fill('webhook.registered'));
    expect(entries.find((e) => e.target_id === 'target-3')).toEqual({
      audit_id: expect.stringMatching(/^\d+$/),
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
      actor: 'api_key:k1',
      action: 'alert.acknowledged',
      target_type: 'alert',
      target_id: 'target-3',
      details: { i: 3 },
    });
  });

  it('filters by action, target type and time, and pages within the filter', async () => {
    const { apiKey } = await seeded();
    const acks = await listAll(apiKey, '?action=alert.acknowledged&limit=3');
    expect(acks.entries.map((e) => e.target_id)).toEqual(['target-9', 'target-6', 'target-3', 'target-0']);
    expect(acks.pages).toBe(2);
    const webhooks = await listAll(apiKey, '?target_type=webhook&limit=100');
    expect(webhooks.entries).toHaveLength(8);
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const recent = await listAll(apiKey, `?since=${encodeURIComponent(since)}`);
    expect(recent.entries.map((e) => e.action).sort()).toEqual(
      [...Array(4).fill('alert.acknowledged'), ...Array(8).fill('connection.created'), 'tenant.created'].sort(),
    );
    const both = await listAll(apiKey, '?action=connection.created&target_type=alert');
    expect(both.entries).toEqual([]);
  });

  it("shows only the tenant's own rows", async () => {
    await seeded();
    const { apiKey } = await service.tenant('Fresh');
    const { entries } = await listAll(apiKey, '');
    expect(entries.map((e) => e.action)).toEqual(['tenant.created']);
  });

  it('refuses cursors it did not issue for this listing, bad filters and limits', async () => {
    const { apiKey } = await seeded();
    const first = await list(apiKey, '?limit=2');
    const cursor = encodeURIComponent(first.body.next_cursor as string);
    expect((await list(apiKey, `?limit=2&cursor=${cursor}`)).status).toBe(200);
    expect((await list(apiKey, `?limit=2&action=webhook.registered&cursor=${cursor}`)).status).toBe(400);
    const other = await service.tenant('Other');
    expect((await list(other.apiKey, `?cursor=${cursor}`)).status).toBe(400);
    expect((await list(apiKey, '?cursor=forged.cursor')).status).toBe(400);
    expect((await list(apiKey, '?limit=501')).status).toBe(400);
    expect((await list(apiKey, '?limit=0')).status).toBe(400);
    expect((await list(apiKey, '?since=yesterday')).status).toBe(400);
    const unauthenticated = await service.app.inject({ method: 'GET', url: '/audit-log' });
    expect(unauthenticated.statusCode).toBe(401);
  });

  it('defaults to 100 entries a page', async () => {
    const { tenantId, apiKey } = await service.tenant('Busy');
    await sql`insert into audit_log (tenant_id, actor, action, target_type)
      select ${tenantId}, 'system', 'sync.configured', 'connection' from generate_series(1, 150)`.execute(
      service.ctx.db,
    );
    const page = await list(apiKey);
    expect(page.body.entries).toHaveLength(100);
    expect(page.body.next_cursor).not.toBeNull();
    const rest = await list(apiKey, `?cursor=${encodeURIComponent(page.body.next_cursor as string)}`);
    expect(rest.body.entries).toHaveLength(51);
    expect(rest.body.next_cursor).toBeNull();
  });
});
