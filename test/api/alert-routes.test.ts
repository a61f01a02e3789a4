/**
 * The alert routes as a client uses them: `GET /alerts` (newest first, filters, opaque cursors), `POST
 * /alerts/{id}/ack` (audited once, idempotent), another tenant's alert answering 404, and the delivery destination
 * (`PUT` answers the secret once, `GET` never shows it, `DELETE`; hostile URLs refused with the field named).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateAlerts } from '../../src/alerts/alert-evaluator.js';
import { insertConnection } from '../../src/db/repositories/connection-repository.js';
import { startTestService, type TestService } from '../support/service.js';

let service: TestService;
let clock = new Date('2031-03-01T10:00:00.000Z');

beforeAll(async () => {
  service = await startTestService({ now: () => clock });
});
afterAll(async () => {
  await service?.close();
});

interface AlertBody {
  alert_id: string;
  connection_id: string | null;
  status: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  [field: string]: unknown;
}

/** What the routes answer (each test reads the fields its route has). */
interface Answer {
  alerts: AlertBody[];
  alert: AlertBody;
  next_cursor: string | null;
  destination: { url: string; secret: string; created_at: string; updated_at: string };
  errors: unknown[];
}

async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, apiKey?: string, body?: unknown) {
  const res = await service.app.inject({
    method,
    url,
    headers: apiKey ? service.auth(apiKey) : {},
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
  return {
    status: res.statusCode,
    body: (res.body === '' ? {} : res.json()) as Answer,
    type: res.headers['content-type'],
  };
}

/** A tenant with `n` connections whose health checks keep failing, and their alerts opened a minute apart. */
async function tenantWithAlerts(n: number) {
  const { tenantId, apiKey } = await service.tenant('Alerts');
  const connectionIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const connection = await insertConnection(service.ctx.db, service.ctx.settings.keyRing, {
      tenantId,
      platform: 'front',
      credentials: { token: `front-token-${i}` },
      connectionConfig: {},
    });
    connectionIds.push(connection.connectionId);
    await service.ctx.db
      .updateTable('platform_connections')
      .set({ consecutive_failures: 4 + i })
      .where('tenant_id', '=', tenantId)
      .where('connection_id', '=', connection.connectionId)
      .execute();
    clock = new Date(clock.getTime() + 60_000);
    expect((await evaluateAlerts(service.ctx.db, clock)).failures).toEqual([]);
  }
  return { tenantId, apiKey, connectionIds };
}

async function auditRows(tenantId: string) {
  return service.ctx.db
    .selectFrom('audit_log')
    .select(['actor', 'action', 'target_type', 'target_id', 'details'])
    .where('tenant_id', '=', tenantId)
    .orderBy('audit_id')
    .execute();
}

describe('GET /alerts', () => {
  it('lists the tenant alerts newest first, page by page with opaque cursors', async () => {
    const { apiKey, connectionIds } = await tenantWithAlerts(5);
    const seen: Array<string | null> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await call('GET', `/alerts?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, apiKey);
      expect(res.status).toBe(200);
      pages++;
      for (const alert of res.body.alerts) seen.push(alert.connection_id);
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...connectionIds].reverse());

    const { body } = await call('GET', '/alerts?limit=1', apiKey);
    expect(body.alerts[0]).toEqual({
      alert_id: expect.any(String),
      rule: 'connection_failing',
      status: 'open',
      severity: 'critical',
      connection_id: connectionIds[4],
      platform: 'front',
      message: 'front: the connection failed its last 8 health checks',
      details: { consecutive_failures: 8, threshold: 3, last_error: null, last_checked_at: null },
      first_seen_at: clock.toISOString(),
      last_seen_at: clock.toISOString(),
      resolved_at: null,
      acknowledged_at: null,
      acknowledged_by: null,
      occurrences: 1,
    });
  });

  it('filters by status, rule and connection', async () => {
    const { tenantId, apiKey, connectionIds } = await tenantWithAlerts(2);
    await service.ctx.db
      .updateTable('platform_connections')
      .set({ consecutive_failures: 0 })
      .where('tenant_id', '=', tenantId)
      .where('connection_id', '=', connectionIds[0] as string)
      .execute();
    clock = new Date(clock.getTime() + 60_000);
    await evaluateAlerts(service.ctx.db, clock);

    const open = await call('GET', '/alerts?status=open', apiKey);
    expect(open.body.alerts.map((a) => a.connection_id)).toEqual([connectionIds[1]]);
    const resolved = await call('GET', '/alerts?status=resolved', apiKey);
    expect(resolved.body.alerts).toEqual([
      expect.objectContaining({
        connection_id: connectionIds[0],
        status: 'resolved',
        resolved_at: clock.toISOString(),
      }),
    ]);
    expect((await call('GET', '/alerts', apiKey)).body.alerts).toHaveLength(2); // all by default
    expect((await call('GET', `/alerts?connection_id=${connectionIds[0]}`, apiKey)).body.alerts).toHaveLength(1);
    expect((await call('GET', '/alerts?rule=sync_failed', apiKey)).body.alerts).toEqual([]);

    const bad = await call('GET', '/alerts?rule=nope&limit=501', apiKey);
    expect(bad.status).toBe(400);
    expect(bad.type).toContain('application/problem+json');
    const badCursor = await call('GET', '/alerts?cursor=abc.def', apiKey);
    expect(badCursor.status).toBe(400);
  });

  it('needs a tenant key, and shows no other tenant alerts', async () => {
    await tenantWithAlerts(1);
    expect((await call('GET', '/alerts')).status).toBe(401);
    const { apiKey } = await service.tenant('Quiet');
    expect((await call('GET', '/alerts', apiKey)).body).toEqual({ alerts: [], next_cursor: null });
  });
});

describe('POST /alerts/{alert_id}/ack', () => {
  it('acknowledges an alert once (audited), keeps it open, and answers the same to a repeat', async () => {
    const { tenantId, apiKey } = await tenantWithAlerts(1);
    const alert = (await call('GET', '/alerts', apiKey)).body.alerts[0] as AlertBody;
    const first = await call('POST', `/alerts/${alert.alert_id}/ack`, apiKey);
    expect(first.status).toBe(200);
    expect(first.body.alert).toMatchObject({
      alert_id: alert.alert_id,
      status: 'open',
      acknowledged_at: clock.toISOString(),
      acknowledged_by: expect.stringMatching(/^api_key:/),
    });
    const acknowledgedAt = first.body.alert.acknowledged_at;
    clock = new Date(clock.getTime() + 60_000);
    const again = await call('POST', `/alerts/${alert.alert_id}/ack`, apiKey);
    expect(again.status).toBe(200);
    expect(again.body.alert.acknowledged_at).toBe(acknowledgedAt);
    expect((await auditRows(tenantId)).filter((r) => r.action === 'alert.acknowledged')).toEqual([
      {
        actor: first.body.alert.acknowledged_by,
        action: 'alert.acknowledged',
        target_type: 'alert',
        target_id: alert.alert_id,
        details: { rule: 'connection_failing', connection_id: alert.connection_id },
      },
    ]);

    // Still open, and refreshed by the next evaluation without losing the acknowledgement.
    await evaluateAlerts(service.ctx.db, clock);
    const [listed] = (await call('GET', '/alerts', apiKey)).body.alerts;
    expect(listed).toMatchObject({ status: 'open', acknowledged_at: acknowledgedAt, occurrences: 2 });
  });

  it("answers 404 for another tenant's alert, an unknown id and a malformed one, and changes nothing", async () => {
    const { apiKey } = await tenantWithAlerts(1);
    const alert = (await call('GET', '/alerts', apiKey)).body.alerts[0] as AlertBody;
    const intruder = await service.tenant('Intruder');
    const res = await call('POST', `/alerts/${alert.alert_id}/ack`, intruder.apiKey);
    expect(res.status).toBe(404);
    expect(res.type).toContain('application/problem+json');
    expect((await call('POST', `/alerts/${randomUUID()}/ack`, apiKey)).status).toBe(404);
    expect((await call('POST', '/alerts/not-an-id/ack', apiKey)).status).toBe(404);
    const after = (await call('GET', '/alerts', apiKey)).body.alerts[0] as AlertBody;
    expect(after.acknowledged_at).toBeNull();
  });
});

describe('the alert destination', () => {
  it('PUT answers a new whsec_ secret each time (once), GET shows the URL only, DELETE removes it; all audited by origin', async () => {
    const { tenantId, apiKey } = await service.tenant('Destination');
    expect((await call('GET', '/alerts/destination', apiKey)).status).toBe(404);
    const url = 'https://hooks.example.com/engarde?token=capability-123';
    const created = await call('PUT', '/alerts/destination', apiKey, { url });
    expect(created.status).toBe(201);
    expect(created.body.destination).toEqual({
      url,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      created_at: clock.toISOString(),
      updated_at: clock.toISOString(),
    });
    const shown = await call('GET', '/alerts/destination', apiKey);
    expect(shown.body).toEqual({
      destination: { url, created_at: clock.toISOString(), updated_at: clock.toISOString() },
    });

    clock = new Date(clock.getTime() + 60_000);
    const replaced = await call('PUT', '/alerts/destination', apiKey, { url: 'https://alerts.example.org/in#frag' });
    expect(replaced.status).toBe(200);
    expect(replaced.body.destination.url).toBe('https://alerts.example.org/in');
    expect(replaced.body.destination.secret).not.toBe(created.body.destination.secret);
    expect(replaced.body.destination.updated_at).toBe(clock.toISOString());

    expect((await call('DELETE', '/alerts/destination', apiKey)).status).toBe(204);
    expect((await call('DELETE', '/alerts/destination', apiKey)).status).toBe(404);
    expect((await call('GET', '/alerts/destination', apiKey)).status).toBe(404);

    const rows = (await auditRows(tenantId)).filter((r) => r.target_type === 'alert_destination');
    expect(rows.map((r) => [r.action, r.target_type, r.details])).toEqual([
      ['alert_destination.created', 'alert_destination', { origin: 'https://hooks.example.com', secret_issued: true }],
      [
        'alert_destination.replaced',
        'alert_destination',
        { origin: 'https://alerts.example.org', secret_issued: true },
      ],
      ['alert_destination.deleted', 'alert_destination', { origin: 'https://alerts.example.org' }],
    ]);
    expect(JSON.stringify(rows)).not.toContain('capability-123');
    expect(JSON.stringify(rows)).not.toContain(created.body.destination.secret.slice(6));
  });

  it.each([
    ['not a URL', 'hooks'],
    ['another scheme', 'ftp://hooks.example.com/'],
    ['user info', 'https://user:pass@hooks.example.com/'],
    ['a loopback address', 'https://127.0.0.1/hook'],
    ['a private address', 'https://10.1.2.3/hook'],
    ['a cloud metadata address', 'http://169.254.169.254/latest/meta-data'],
    ['a metadata host name', 'https://metadata.google.internal/'],
    ['an IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/'],
  ])('refuses %s with 422 naming /url', async (_name, url) => {
    const { apiKey } = await service.tenant('Hostile');
    const res = await call('PUT', '/alerts/destination', apiKey, { url });
    expect(res.status).toBe(422);
    expect(res.type).toContain('application/problem+json');
    expect(res.body.errors).toEqual([expect.objectContaining({ in: 'body', path: '/url' })]);
    expect((await call('GET', '/alerts/destination', apiKey)).status).toBe(404);
  });

  it('refuses a body that is not {url}', async () => {
    const { apiKey } = await service.tenant('Sloppy');
    expect((await call('PUT', '/alerts/destination', apiKey, { url: 'https://a.example', secret: 'x' })).status).toBe(
      400,
    );
    expect((await call('PUT', '/alerts/destination', apiKey, {})).status).toBe(400);
  });
});
