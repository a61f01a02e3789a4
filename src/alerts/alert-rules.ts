/**
 * The alert rules: what each watches, its thresholds, and the one aggregate query (across every tenant and active
 * connection) that finds where its condition holds now. The evaluator (`alert-evaluator.ts`) keeps one open alert per
 * rule and connection from these answers: it opens one where a condition {@link AlertCondition.opens}, refreshes it
 * while the condition holds, and resolves it as soon as the condition is no longer found.
 *
 * | rule | opens when | resolves when |
 * | --- | --- | --- |
 * | `connection_failing` | the connection failed more than {@link CONNECTION_FAILURE_THRESHOLD} health checks in a row | a check succeeds (the count goes back to 0) |
 * | `rate_limit_exceeded` | in the last {@link RATE_LIMIT_WINDOW_MS}: ≥ {@link RATE_LIMITED_RESPONSES_THRESHOLD} rate-limited answers to the connection's syncs (finished runs, and runs still going), or a sync attempt that failed with `RateLimitError` | neither for {@link RATE_LIMIT_WINDOW_MS} |
 * | `sync_failed` | an entity's last sync failed (its status keeps the error until a run succeeds; an attempt being retried counts once an earlier run failed) | every entity's last sync succeeded |
 * | `webhook_signature_failures` | ≥ {@link WEBHOOK_REJECTIONS_THRESHOLD} inbound deliveries refused for their signature in {@link WEBHOOK_REJECTION_WINDOW_MS} | {@link WEBHOOK_REJECTION_WINDOW_MS} without a refused delivery |
 * | `webhook_processing_failed` | a webhook event received in the last {@link WEBHOOK_PROCESSING_WINDOW_MS} failed processing (after its last attempt) | no such event: reprocessed, or received longer ago |
 * | `data_quality` | an entity's last finished pull stored records its platform mapping could not normalize (`sync_runs.records_unnormalized`) | every entity's last finished pull normalized every record |
 *
 * Only active connections are watched: an alert of a connection that is disconnected or waiting for the user to
 * reconnect resolves. A refused webhook delivery that named no connection makes a tenant-wide alert (no connection).
 */
import { type Kysely, sql } from 'kysely';
import type { AlertSeverity, Database } from '../db/schema.js';

/** `connection_failing` opens when `consecutive_failures` exceeds this ("more than 3 times in a row"). */
export const CONNECTION_FAILURE_THRESHOLD = 3;
/** The window of `rate_limit_exceeded`. */
export const RATE_LIMIT_WINDOW_MS = 15 * 60_000;
/** Rate-limited answers (429 or the platform's equivalent) in the window that open `rate_limit_exceeded`. */
export const RATE_LIMITED_RESPONSES_THRESHOLD = 10;
/** Runs still going count for `rate_limit_exceeded` only when they started this recently (a stuck row does not). */
export const RUNNING_SYNC_HORIZON_MS = 24 * 3_600_000;
/** The window of `webhook_signature_failures`: it opens on this many refusals within it, and clears after it passes without one. */
export const WEBHOOK_REJECTION_WINDOW_MS = 15 * 60_000;
export const WEBHOOK_REJECTIONS_THRESHOLD = 5;
/**
 * The window of `webhook_processing_failed`: one event received in it and failed opens the alert. An event is marked
 * failed only after its last attempt (10, over about 3.6 hours of graphile-worker's backoff), and its row keeps no
 * failure time, so the window is on reception and a day long: every failure shows for hours, whenever it came.
 */
export const WEBHOOK_PROCESSING_WINDOW_MS = 24 * 3_600_000;
/** Longest error text copied into an alert's message or details. */
export const MAX_ERROR_TEXT = 300;

export const ALERT_RULE_NAMES = [
  'connection_failing',
  'rate_limit_exceeded',
  'sync_failed',
  'webhook_signature_failures',
  'webhook_processing_failed',
  'data_quality',
] as const;

export type AlertRuleName = (typeof ALERT_RULE_NAMES)[number];

/** Where a rule's condition holds now. */
export interface AlertCondition {
  tenantId: string;
  /** Null: tenant-wide. */
  connectionId: string | null;
  platform: string | null;
  /**
   * Whether the condition is strong enough to open an alert; when false it only keeps an open one open (hysteresis:
   * `webhook_signature_failures` opens on 5 refusals and stays open while any is in the window).
   */
  opens: boolean;
  message: string;
  details: Record<string, unknown>;
}

export interface AlertRule {
  name: AlertRuleName;
  severity: AlertSeverity;
  /** Every place the condition holds, in one or two aggregate queries. */
  evaluate(db: Kysely<Database>, now: Date): Promise<AlertCondition[]>;
}

/** An error text cut to {@link MAX_ERROR_TEXT} characters. */
export function clip(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT - 1)}…` : text;
}

const ago = (now: Date, ms: number) => new Date(now.getTime() - ms);
/** `15 minutes`, `24 hours`. */
const duration = (ms: number) =>
  ms >= 2 * 3_600_000 ? `${Math.round(ms / 3_600_000)} hours` : `${Math.round(ms / 60_000)} minutes`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const connectionFailing: AlertRule = {
  name: 'connection_failing',
  severity: 'critical',
  async evaluate(db) {
    const { rows } = await sql<{
      tenant_id: string;
      connection_id: string;
      platform: string;
      consecutive_failures: number;
      last_health_error: string | null;
      last_health_check_at: Date | null;
    }>`
      select tenant_id, connection_id, platform, consecutive_failures, last_health_error, last_health_check_at
      from platform_connections
      where status = 'active' and consecutive_failures > ${CONNECTION_FAILURE_THRESHOLD}`.execute(db);
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      connectionId: r.connection_id,
      platform: r.platform,
      opens: true,
      message: `${r.platform}: the connection failed its last ${r.consecutive_failures} health checks${
        r.last_health_error ? ` (${clip(r.last_health_error)})` : ''
      }`,
      details: {
        consecutive_failures: r.consecutive_failures,
        threshold: CONNECTION_FAILURE_THRESHOLD,
        last_error: clip(r.last_health_error),
        last_checked_at: r.last_health_check_at?.toISOString() ?? null,
      },
    }));
  },
};

const rateLimitExceeded: AlertRule = {
  name: 'rate_limit_exceeded',
  severity: 'warning',
  async evaluate(db, now) {
    const since = ago(now, RATE_LIMIT_WINDOW_MS);
    // Runs that finished in the window, and runs still going (their counters are written page by page).
    const runs = await sql<{
      tenant_id: string;
      connection_id: string;
      platform: string;
      responses: string;
      failed_runs: string;
    }>`
      select r.tenant_id, r.connection_id, c.platform,
        sum(case when jsonb_typeof(r.metrics -> 'rate_limited') = 'number'
                 then (r.metrics ->> 'rate_limited')::numeric else 0 end)::bigint as responses,
        count(*) filter (where r.status = 'failed' and r.error like '%RateLimitError%') as failed_runs
      from sync_runs r
      join platform_connections c
        on c.tenant_id = r.tenant_id and c.connection_id = r.connection_id and c.status = 'active'
      where r.finished_at >= ${since}
        or (r.finished_at is null and r.started_at >= ${ago(now, RUNNING_SYNC_HORIZON_MS)})
      group by r.tenant_id, r.connection_id, c.platform`.execute(db);
    // Attempts failing with a RateLimitError, retried or final, as the entities' statuses show them.
    const statuses = await sql<{
      tenant_id: string;
      connection_id: string;
      platform: string;
      entities: string[];
      last_error: string;
    }>`
      select s.tenant_id, s.connection_id, c.platform, array_agg(s.entity_type order by s.entity_type) as entities,
        (array_agg(s.error order by s.updated_at desc))[1] as last_error
      from platform_sync_status s
      join platform_connections c
        on c.tenant_id = s.tenant_id and c.connection_id = s.connection_id and c.status = 'active'
      where s.error like '%RateLimitError%' and s.updated_at >= ${since}
      group by s.tenant_id, s.connection_id, c.platform`.execute(db);

    const found = new Map<
      string,
      {
        tenantId: string;
        connectionId: string;
        platform: string;
        responses: number;
        failedRuns: number;
        entities: string[];
        lastError: string | null;
      }
    >();
    const entry = (tenantId: string, connectionId: string, platform: string) => {
      const key = `${tenantId}/${connectionId}`;
      let e = found.get(key);
      if (!e) {
        e = { tenantId, connectionId, platform, responses: 0, failedRuns: 0, entities: [], lastError: null };
        found.set(key, e);
      }
      return e;
    };
    for (const r of runs.rows) {
      const e = entry(r.tenant_id, r.connection_id, r.platform);
      e.responses += Number(r.responses);
      e.failedRuns += Number(r.failed_runs);
    }
    for (const s of statuses.rows) {
      const e = entry(s.tenant_id, s.connection_id, s.platform);
      e.entities = s.entities;
      e.lastError = clip(s.last_error);
    }
    const out: AlertCondition[] = [];
    for (const e of found.values()) {
      const limited = e.failedRuns > 0 || e.entities.length > 0;
      if (!limited && e.responses < RATE_LIMITED_RESPONSES_THRESHOLD) continue;
      const why = limited
        ? `sync attempts failed on the platform's rate limit${e.entities.length > 0 ? ` (${e.entities.join(', ')})` : ''}`
        : `${plural(e.responses, 'rate-limited answer')} to syncs in the last ${duration(RATE_LIMIT_WINDOW_MS)}`;
      out.push({
        tenantId: e.tenantId,
        connectionId: e.connectionId,
        platform: e.platform,
        opens: true,
        message: `${e.platform}: rate limit exceeded: ${why}`,
        details: {
          rate_limited_responses: e.responses,
          threshold: RATE_LIMITED_RESPONSES_THRESHOLD,
          window_minutes: RATE_LIMIT_WINDOW_MS / 60_000,
          failed_runs: e.failedRuns,
          entities: e.entities,
          last_error: e.lastError,
        },
      });
    }
    return out;
  },
};

const syncFailed: AlertRule = {
  name: 'sync_failed',
  severity: 'warning',
  async evaluate(db) {
    // The status keeps a failure's error until a run succeeds; while a later attempt is being retried it says
    // `retrying: …`, which counts when the last finished run failed (a first transient failure is not a failure yet).
    const { rows } = await sql<{
      tenant_id: string;
      connection_id: string;
      platform: string;
      entity_type: string;
      error: string;
      updated_at: Date;
    }>`
      select s.tenant_id, s.connection_id, c.platform, s.entity_type, s.error, s.updated_at
      from platform_sync_status s
      join platform_connections c
        on c.tenant_id = s.tenant_id and c.connection_id = s.connection_id and c.status = 'active'
      where s.error is not null
        and (s.error not like 'retrying: %'
          or (select r.status from sync_runs r
              where r.tenant_id = s.tenant_id and r.connection_id = s.connection_id and r.entity_type = s.entity_type
                and r.mode <> 'push' and r.status <> 'running'
              order by r.started_at desc limit 1) = 'failed')
      order by s.tenant_id, s.connection_id, s.entity_type`.execute(db);
    return byConnection(rows).map(({ first, all }) => ({
      tenantId: first.tenant_id,
      connectionId: first.connection_id,
      platform: first.platform,
      opens: true,
      message: `${first.platform}: sync of ${all.map((r) => r.entity_type).join(', ')} failed: ${clip(first.error)}`,
      details: {
        entities: all.map((r) => ({
          entity_type: r.entity_type,
          error: clip(r.error),
          at: r.updated_at.toISOString(),
        })),
      },
    }));
  },
};

const webhookSignatureFailures: AlertRule = {
  name: 'webhook_signature_failures',
  severity: 'warning',
  async evaluate(db, now) {
    const { rows } = await sql<{
      tenant_id: string;
      connection_id: string | null;
      platform: string;
      rejections: number;
      reasons: string[];
      last_at: Date;
    }>`
      select w.tenant_id, w.connection_id, (array_agg(w.platform order by w.received_at desc))[1] as platform,
        count(*)::int as rejections, array_agg(distinct w.reason) as reasons, max(w.received_at) as last_at
      from webhook_rejections w
      left join platform_connections c on c.tenant_id = w.tenant_id and c.connection_id = w.connection_id
      where w.received_at >= ${ago(now, WEBHOOK_REJECTION_WINDOW_MS)}
        and (w.connection_id is null or c.status = 'active')
      group by w.tenant_id, w.connection_id`.execute(db);
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      connectionId: r.connection_id,
      platform: r.platform,
      opens: r.rejections >= WEBHOOK_REJECTIONS_THRESHOLD,
      message: `${r.platform}: ${plural(r.rejections, 'webhook delivery', 'webhook deliveries')} refused for a bad or missing signature in the last ${duration(WEBHOOK_REJECTION_WINDOW_MS)} (${r.reasons.join(', ')})`,
      details: {
        rejections: r.rejections,
        threshold: WEBHOOK_REJECTIONS_THRESHOLD,
        window_minutes: WEBHOOK_REJECTION_WINDOW_MS / 60_000,
        reasons: r.reasons,
        last_rejected_at: r.last_at.toISOString(),
      },
    }));
  },
};

const webhookProcessingFailed: AlertRule = {
  name: 'webhook_processing_failed',
  severity: 'warning',
  async evaluate(db, now) {
    const { rows } = await sql<{
      tenant_id: string;
      connection_id: string;
      platform: string;
      failed: number;
      event_types: string[];
      last_error: string | null;
      last_at: Date;
    }>`
      select e.tenant_id, e.connection_id, c.platform, count(*)::int as failed,
        array_agg(distinct e.event_type) as event_types,
        (array_agg(e.error order by e.received_at desc))[1] as last_error, max(e.received_at) as last_at
      from platform_event_logs e
      join platform_connections c
        on c.tenant_id = e.tenant_id and c.connection_id = e.connection_id and c.status = 'active'
      where e.processing_status = 'failed' and e.received_at >= ${ago(now, WEBHOOK_PROCESSING_WINDOW_MS)}
      group by e.tenant_id, e.connection_id, c.platform`.execute(db);
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      connectionId: r.connection_id,
      platform: r.platform,
      opens: true,
      message: `${r.platform}: ${plural(r.failed, 'webhook event')} failed processing in the last ${duration(WEBHOOK_PROCESSING_WINDOW_MS)}${
        r.last_error ? ` (${clip(r.last_error)})` : ''
      }`,
      details: {
        failed_events: r.failed,
        window_hours: WEBHOOK_PROCESSING_WINDOW_MS / 3_600_000,
        event_types: r.event_types,
        last_error: clip(r.last_error),
        last_received_at: r.last_at.toISOString(),
      },
    }));
  },
};

const dataQuality: AlertRule = {
  name: 'data_quality',
  severity: 'warning',
  async evaluate(db) {
    const { rows } = await sql<{
      tenant_id: string;
      connection_id: string;
      platform: string;
      entity_type: string;
      unnormalized: string;
      pulled: string;
      finished_at: Date;
    }>`
      select s.tenant_id, s.connection_id, c.platform, s.entity_type, last.records_unnormalized as unnormalized,
        last.records_pulled as pulled, last.finished_at
      from platform_sync_status s
      join platform_connections c
        on c.tenant_id = s.tenant_id and c.connection_id = s.connection_id and c.status = 'active'
      join lateral (
        select r.records_unnormalized, r.records_pulled, r.finished_at from sync_runs r
        where r.tenant_id = s.tenant_id and r.connection_id = s.connection_id and r.entity_type = s.entity_type
          and r.mode <> 'push' and r.status <> 'running'
        order by r.started_at desc limit 1) last on true
      where last.records_unnormalized > 0
      order by s.tenant_id, s.connection_id, s.entity_type`.execute(db);
    return byConnection(rows).map(({ first, all }) => {
      const total = all.reduce((n, r) => n + Number(r.unnormalized), 0);
      return {
        tenantId: first.tenant_id,
        connectionId: first.connection_id,
        platform: first.platform,
        opens: true,
        message: `${first.platform}: ${plural(total, 'record')} of ${all.map((r) => r.entity_type).join(', ')} failed normalization in the last sync`,
        details: {
          records_unnormalized: total,
          entities: all.map((r) => ({
            entity_type: r.entity_type,
            records_unnormalized: Number(r.unnormalized),
            records_pulled: Number(r.pulled),
            finished_at: r.finished_at.toISOString(),
          })),
        },
      };
    });
  },
};

/** Rows ordered by tenant and connection, grouped per connection. */
function byConnection<R extends { tenant_id: string; connection_id: string }>(
  rows: R[],
): Array<{ first: R; all: R[] }> {
  const groups: Array<{ first: R; all: R[] }> = [];
  for (const row of rows) {
    const last = groups.at(-1);
    if (last && last.first.tenant_id === row.tenant_id && last.first.connection_id === row.connection_id) {
      last.all.push(row);
    } else {
      groups.push({ first: row, all: [row] });
    }
  }
  return groups;
}

/**
 * Every rule, in evaluation order.
 * @example
 * for (const rule of ALERT_RULES) console.log(rule.name, rule.severity);
 */
export const ALERT_RULES: readonly AlertRule[] = [
  connectionFailing,
  rateLimitExceeded,
  syncFailed,
  webhookSignatureFailures,
  webhookProcessingFailed,
  dataQuality,
];
