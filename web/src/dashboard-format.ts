/**
 * Words and numbers for the connections dashboard: schedules, directions and strategies as people name them, times,
 * durations and counts, and the small decisions the pages make from API data (is a sync busy, which settings to
 * re-send for *Sync now*, which record fields to preview). Pure, so it is tested without a browser.
 */

/** Schedules the settings form offers, in order, with their words. */
export const FREQUENCY_NAMES: Readonly<Record<string, string>> = {
  manual: 'Manual only',
  every_5_minutes: 'Every 5 minutes',
  every_15_minutes: 'Every 15 minutes',
  hourly: 'Hourly',
  daily: 'Daily',
};

/**
 * A schedule in words; a cron expression is shown as itself.
 * @example
 * frequencyName('every_15_minutes'); // 'Every 15 minutes'
 */
export function frequencyName(frequency: string): string {
  return FREQUENCY_NAMES[frequency] ?? `Cron "${frequency}"`;
}

export const DIRECTION_NAMES: Readonly<Record<string, string>> = {
  pull: 'Pull from the platform',
  push: 'Push to the platform',
  bidirectional: 'Both ways',
};

export function directionName(direction: string): string {
  return DIRECTION_NAMES[direction] ?? direction;
}

export const CONFLICT_STRATEGY_NAMES: Readonly<Record<string, string>> = {
  manual: 'Ask me (list the conflict here)',
  platform_wins: 'The platform’s value wins',
  local_wins: 'EnGarde’s value wins',
  last_write_wins: 'The later change wins',
};

export function conflictStrategyName(strategy: string): string {
  return CONFLICT_STRATEGY_NAMES[strategy] ?? strategy;
}

const SEVERITY_NAMES: Readonly<Record<string, string>> = {
  critical: 'Critical',
  warning: 'Warning',
  info: 'Information',
};

export function severityName(severity: string): string {
  return SEVERITY_NAMES[severity] ?? severity;
}

const RULE_NAMES: Readonly<Record<string, string>> = {
  connection_failing: 'Connection failing',
  rate_limit_exceeded: 'Rate limit exceeded',
  sync_failed: 'Sync failed',
  webhook_signature_failures: 'Webhook signatures refused',
  webhook_processing_failed: 'Webhook processing failed',
  data_quality: 'Data quality',
};

/** An alert rule in words (an unknown rule: its id with spaces). */
export function ruleName(rule: string): string {
  return RULE_NAMES[rule] ?? rule.replaceAll('_', ' ');
}

const OAUTH_ERRORS: Readonly<Record<string, string>> = {
  access_denied: 'the authorization was declined at the platform',
  invalid_state: 'the authorization took too long or was started in another tab; start again',
  iss_mismatch: 'the answer came from another authorization server than expected',
  token_exchange_failed: 'the platform refused the authorization code',
  oauth_not_configured: 'the operator has not configured an OAuth app for this platform',
  oauth_misconfigured: 'the OAuth app settings of this deployment cannot be used',
  platform_unavailable: 'the platform could not be reached',
  invalid_request: 'the platform’s answer was incomplete',
};

/**
 * The `?error=` code an OAuth round trip came back with, as a sentence ending.
 * @example
 * oauthErrorText('access_denied'); // 'the authorization was declined at the platform (access_denied)'
 */
export function oauthErrorText(code: string): string {
  const words = OAUTH_ERRORS[code];
  return words ? `${words} (${code})` : code;
}

/**
 * An instant as `2025-05-14 09:03` in the given time zone (the browser's by default); `Never` for null.
 * @example
 * formatInstant('2025-05-14T09:03:59.000Z', 'UTC'); // '2025-05-14 09:03'
 */
export function formatInstant(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return 'Never';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`;
}

/**
 * A duration in the largest two units that matter: `850 ms`, `12 s`, `3 min 5 s`, `2 h 10 min`, `3 d 4 h`.
 * @example
 * formatDuration(185_000); // '3 min 5 s'
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['min', 60],
    ['s', 1],
  ];
  const index = units.findIndex(([, size]) => s >= size);
  const [bigName, bigSize] = units[index] as [string, number];
  const [smallName, smallSize] = units[index + 1] as [string, number];
  const big = Math.floor(s / bigSize);
  const small = Math.floor((s - big * bigSize) / smallSize);
  return small > 0 ? `${big} ${bigName} ${small} ${smallName}` : `${big} ${bigName}`;
}

/** How long a run took, or how long it has been going, from ISO instants. */
export function runDuration(startedAt: string, finishedAt: string | null, now: Date = new Date()): string {
  const end = finishedAt ? new Date(finishedAt).getTime() : now.getTime();
  return formatDuration(end - new Date(startedAt).getTime());
}

/**
 * A count with thousands separators.
 * @example
 * formatCount(12345); // '12,345'
 */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—';
}

/** `1 record`, `2 records`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** What the sync status route says of one entity (the fields these helpers read). */
export interface EntitySyncSettings {
  entity_type: string;
  sync_direction: string;
  frequency: string;
  conflict_strategy: string;
  sync_status: string;
}

/** Whether a sync is queued or running for any entity (the page polls while it is). */
export function isSyncBusy(entities: ReadonlyArray<Pick<EntitySyncSettings, 'sync_status'>>): boolean {
  return entities.some((e) => e.sync_status === 'queued' || e.sync_status === 'running');
}

export interface SyncRequest {
  sync_direction: 'pull' | 'push' | 'bidirectional';
  frequency: string;
  conflict_strategy: 'platform_wins' | 'local_wins' | 'last_write_wins' | 'manual';
  entities: string[];
}

/**
 * The sync requests that run every configured entity again with its own settings: one request per distinct
 * (direction, schedule, strategy), entities sorted, requests in a stable order.
 * @example
 * syncNowRequests(status.entities).map((body) => api.POST('/integrations/{integration_id}/sync', { body, … }));
 */
export function syncNowRequests(entities: ReadonlyArray<EntitySyncSettings>): SyncRequest[] {
  const groups = new Map<string, SyncRequest>();
  for (const e of [...entities].sort((a, b) => a.entity_type.localeCompare(b.entity_type))) {
    const key = JSON.stringify([e.sync_direction, e.frequency, e.conflict_strategy]);
    let group = groups.get(key);
    if (!group) {
      group = {
        sync_direction: e.sync_direction as SyncRequest['sync_direction'],
        frequency: e.frequency,
        conflict_strategy: e.conflict_strategy as SyncRequest['conflict_strategy'],
        entities: [],
      };
      groups.set(key, group);
    }
    group.entities.push(e.entity_type);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, group]) => group);
}

/** Field names that tell records apart best, tried first for the preview columns. */
const PREFERRED_FIELDS = [
  'name',
  'title',
  'display_name',
  'full_name',
  'first_name',
  'firstName',
  'last_name',
  'lastName',
  'email',
  'subject',
  'description',
  'status',
  'state',
  'amount',
  'total',
  'currency',
  'type',
];

const HIDDEN_FIELDS = new Set(['id', 'object', 'external_id']);

function isScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/**
 * Up to `max` field names to preview records by: preferred names first, then the scalar fields most records have,
 * skipping ids (the external id has its own column).
 * @example
 * previewFields([{ id: 'c1', email: 'a@b', created: 1 }], 2); // ['email', 'created']
 */
export function previewFields(records: ReadonlyArray<Record<string, unknown>>, max = 3): string[] {
  const counts = new Map<string, number>();
  for (const record of records) {
    for (const [key, value] of Object.entries(record)) {
      if (!HIDDEN_FIELDS.has(key) && isScalar(value)) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const preferred = PREFERRED_FIELDS.filter((f) => counts.has(f));
  const rest = [...counts.entries()]
    .filter(([f]) => !preferred.includes(f))
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([f]) => f);
  return [...preferred, ...rest].slice(0, max);
}

/**
 * A field value as short text for a table cell: strings as they are, other values as JSON, at most `max`
 * characters; missing and null as an empty string.
 */
export function cellText(value: unknown, max = 80): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
