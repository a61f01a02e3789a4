/**
 * Alerts in the database: one open alert per (tenant, rule, connection), kept by the unique partial index
 * `alerts_one_open`; opened, refreshed and resolved set-wise from a rule's conditions, and each opening or
 * resolution queued for delivery (an `alert_deliveries` row and its `deliver_alert` job, in the same transaction)
 * when the tenant has a destination.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { AlertEventType, AlertSeverity, AlertStatus, Database } from '../db/schema.js';
import type { AlertCondition, AlertRuleName } from './alert-rules.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Attempts a delivery gets (graphile-worker backs off exponentially: about 3.5 hours from first to last). */
export const ALERT_DELIVERY_MAX_ATTEMPTS = 10;

/** An alert as stored. */
export interface AlertRow {
  tenant_id: string;
  alert_id: string;
  connection_id: string | null;
  platform: string | null;
  rule: string;
  status: AlertStatus;
  severity: AlertSeverity;
  message: string;
  details: Record<string, unknown>;
  first_seen_at: Date;
  last_seen_at: Date;
  resolved_at: Date | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  occurrences: number;
}

export const ALERT_COLUMNS = [
  'tenant_id',
  'alert_id',
  'connection_id',
  'platform',
  'rule',
  'status',
  'severity',
  'message',
  'details',
  'first_seen_at',
  'last_seen_at',
  'resolved_at',
  'acknowledged_at',
  'acknowledged_by',
  'occurrences',
] as const;

/**
 * An alert as the API and deliveries show it.
 * @example
 * reply.send({ alert: alertJson(row) });
 */
export function alertJson(row: AlertRow) {
  return {
    alert_id: row.alert_id,
    rule: row.rule,
    status: row.status,
    severity: row.severity,
    connection_id: row.connection_id,
    platform: row.platform,
    message: row.message,
    details: row.details,
    first_seen_at: iso(row.first_seen_at),
    last_seen_at: iso(row.last_seen_at),
    resolved_at: row.resolved_at ? iso(row.resolved_at) : null,
    acknowledged_at: row.acknowledged_at ? iso(row.acknowledged_at) : null,
    acknowledged_by: row.acknowledged_by,
    occurrences: row.occurrences,
  };
}

function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/** What one rule's evaluation changed. */
export interface RuleOutcome {
  rule: AlertRuleName;
  opened: AlertRow[];
  refreshed: number;
  resolved: AlertRow[];
  /** Deliveries queued (openings and resolutions of tenants with a destination). */
  deliveries: number;
}

/** The nil uuid stands for "no connection" in `alerts_one_open`. */
const NO_CONNECTION = '00000000-0000-0000-0000-000000000000';

/**
 * Brings a rule's alerts in line with where its condition holds now: refreshes the open alerts it still finds,
 * opens one where a condition opens and none is open, resolves the open ones it no longer finds, and queues their
 * deliveries. Call it inside a transaction (with the rule's lock held) so that the whole rule changes at once.
 *
 * @example
 * await db.transaction().execute((trx) => applyConditions(trx, 'sync_failed', 'warning', conditions, now));
 */
export async function applyConditions(
  trx: Transaction<Database>,
  rule: AlertRuleName,
  severity: AlertSeverity,
  conditions: readonly AlertCondition[],
  now: Date,
): Promise<RuleOutcome> {
  const found = sql`jsonb_to_recordset(${JSON.stringify(
    conditions.map((c) => ({
      tenant_id: c.tenantId,
      connection_id: c.connectionId,
      platform: c.platform,
      opens: c.opens,
      message: c.message,
      details: c.details,
    })),
  )}::jsonb) as c(tenant_id uuid, connection_id uuid, platform text, opens boolean, message text, details jsonb)`;
  const columns = sql.join(ALERT_COLUMNS.map((c) => sql.ref(`a.${c}`)));

  const refreshed = await sql`
    update alerts a
    set last_seen_at = ${now}, occurrences = a.occurrences + 1, message = c.message, details = c.details,
      severity = ${severity}
    from ${found}
    where a.rule = ${rule} and a.status = 'open'
      and a.tenant_id = c.tenant_id and a.connection_id is not distinct from c.connection_id`.execute(trx);

  const opened = await sql<AlertRow>`
    insert into alerts as a (tenant_id, alert_id, connection_id, platform, rule, severity, message, details,
      first_seen_at, last_seen_at)
    select c.tenant_id, gen_random_uuid(), c.connection_id, c.platform, ${rule}, ${severity}, c.message, c.details,
      ${now}, ${now}
    from ${found}
    where c.opens
    on conflict (tenant_id, rule, (coalesce(connection_id, ${NO_CONNECTION}::uuid))) where status = 'open'
      do nothing
    returning ${columns}`.execute(trx);

  const resolved = await sql<AlertRow>`
    update alerts a set status = 'resolved', resolved_at = ${now}
    where a.rule = ${rule} and a.status = 'open'
      and not exists (select 1 from ${found}
        where c.tenant_id = a.tenant_id and c.connection_id is not distinct from a.connection_id)
    returning ${columns}`.execute(trx);

  const deliveries = await queueDeliveries(
    trx,
    [
      ...opened.rows.map((alert) => ({ alert, type: 'alert.opened' as const })),
      ...resolved.rows.map((alert) => ({ alert, type: 'alert.resolved' as const })),
    ],
    now,
  );
  return {
    rule,
    opened: opened.rows,
    refreshed: Number(refreshed.numAffectedRows ?? 0n),
    resolved: resolved.rows,
    deliveries,
  };
}

/**
 * The body of a delivery, as the Standard Webhooks spec suggests: `{ type, timestamp, data }`.
 * @example
 * deliveryPayload('alert.opened', alert, now); // { type: 'alert.opened', timestamp: '…', data: { alert_id, … } }
 */
export function deliveryPayload(type: AlertEventType, alert: AlertRow, at: Date) {
  return { type, timestamp: at.toISOString(), data: alertJson(alert) };
}

/**
 * Queues a delivery of each event to its tenant's destination (tenants without one get none): an outbox row and its
 * `deliver_alert` job, in the caller's transaction. Returns how many were queued.
 */
export async function queueDeliveries(
  trx: Db,
  events: ReadonlyArray<{ alert: AlertRow; type: AlertEventType }>,
  now: Date,
): Promise<number> {
  if (events.length === 0) return 0;
  const rows = events.map(({ alert, type }) => ({
    tenant_id: alert.tenant_id,
    alert_id: alert.alert_id,
    event_type: type,
    payload: deliveryPayload(type, alert, now),
  }));
  const { rows: queued } = await sql<{ delivery_id: string }>`
    with events as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as e(tenant_id uuid, alert_id uuid, event_type text, payload jsonb)
    ), inserted as (
      insert into alert_deliveries (tenant_id, delivery_id, alert_id, event_type, payload, next_attempt_at, created_at)
      select e.tenant_id, gen_random_uuid(), e.alert_id, e.event_type, e.payload, ${now}, ${now}
      from events e join alert_destinations d on d.tenant_id = e.tenant_id
      returning tenant_id, delivery_id
    )
    select i.delivery_id, graphile_worker.add_job('deliver_alert',
        json_build_object('tenant_id', i.tenant_id, 'delivery_id', i.delivery_id),
        max_attempts => ${ALERT_DELIVERY_MAX_ATTEMPTS}) as job
    from inserted i`.execute(trx);
  return queued.length;
}

export interface ListAlertsOptions {
  status?: AlertStatus | undefined;
  rule?: string | undefined;
  connectionId?: string | undefined;
  limit: number;
  /** Keyset: the last listed alert's `first_seen_at` (ISO, microseconds) and id. */
  before?: { at: string; id: string } | undefined;
}

/** A page of a tenant's alerts, newest first, with each row's keyset position. */
export async function listAlerts(
  db: Db,
  tenantId: string,
  options: ListAlertsOptions,
): Promise<Array<AlertRow & { position: string }>> {
  let query = db
    .selectFrom('alerts')
    .select(ALERT_COLUMNS)
    .select(sql<string>`to_char(first_seen_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('position'))
    .where('tenant_id', '=', tenantId);
  if (options.status) query = query.where('status', '=', options.status);
  if (options.rule) query = query.where('rule', '=', options.rule);
  if (options.connectionId) query = query.where('connection_id', '=', options.connectionId);
  if (options.before) {
    const { at, id } = options.before;
    query = query.where(sql<boolean>`(first_seen_at, alert_id) < (${at}::timestamptz, ${id}::uuid)`);
  }
  const rows = await query.orderBy('first_seen_at', 'desc').orderBy('alert_id', 'desc').limit(options.limit).execute();
  return rows as unknown as Array<AlertRow & { position: string }>;
}

/**
 * Acknowledges a tenant's alert (the first acknowledgement stands).
 * @returns the alert and whether this call acknowledged it; `undefined` when the tenant has no such alert.
 */
export async function acknowledgeAlert(
  db: Db,
  tenantId: string,
  alertId: string,
  actor: string,
  now: Date,
): Promise<{ alert: AlertRow; acknowledged: boolean } | undefined> {
  const updated = await db
    .updateTable('alerts')
    .set({ acknowledged_at: now, acknowledged_by: actor })
    .where('tenant_id', '=', tenantId)
    .where('alert_id', '=', alertId)
    .where('acknowledged_at', 'is', null)
    .returning(ALERT_COLUMNS)
    .executeTakeFirst();
  if (updated) return { alert: updated as AlertRow, acknowledged: true };
  const existing = await db
    .selectFrom('alerts')
    .select(ALERT_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('alert_id', '=', alertId)
    .executeTakeFirst();
  return existing ? { alert: existing as AlertRow, acknowledged: false } : undefined;
}
