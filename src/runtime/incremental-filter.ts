/**
 * Incremental reads: turning a `since` instant into the entity's query parameter, query-template clause or request
 * header, and reading a record's cursor field back as an instant.
 */
import { getPath } from './dotted-path.js';
import type { EntityConfig } from './platform-schema.js';

export type SinceFormat = 'iso8601' | 'iso8601-offset' | 'unix-seconds' | 'unix-millis' | 'date';

/**
 * Formats an instant for a platform. ISO 8601 and unix seconds are floored to the second, so a filter never
 * skips a record from the same second (reads may repeat a record at the boundary; they never lose one).
 *
 * @example
 * formatSince(new Date('2024-05-01T10:20:30.456Z'), 'iso8601');      // '2024-05-01T10:20:30Z'
 * formatSince(new Date('2024-05-01T10:20:30.456Z'), 'iso8601-offset'); // '2024-05-01T10:20:30+00:00'
 * formatSince(new Date('2024-05-01T10:20:30.456Z'), 'unix-seconds'); // '1714558830'
 * formatSince(new Date('2024-05-01T10:20:30.456Z'), 'date');         // '2024-05-01'
 */
export function formatSince(since: Date, format: SinceFormat): string {
  const ms = since.getTime();
  if (Number.isNaN(ms)) throw new RangeError('since is an invalid Date');
  switch (format) {
    case 'iso8601':
      return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
    case 'iso8601-offset':
      return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}+00:00`;
    case 'unix-seconds':
      return String(Math.floor(ms / 1000));
    case 'unix-millis':
      return String(ms);
    case 'date':
      return since.toISOString().slice(0, 10);
  }
}

export interface ListRequestParts {
  query: Record<string, string>;
  body: Record<string, unknown> | undefined;
  /** Request headers the incremental filter adds (`header` kind with a `since`); empty otherwise. */
  headers: Record<string, string>;
}

const INCREMENTAL = '{incremental}';

function replaceDeep(value: unknown, replacement: string): unknown {
  if (typeof value === 'string') return value.split(INCREMENTAL).join(replacement);
  if (Array.isArray(value)) return value.map((v) => replaceDeep(v, replacement));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, replaceDeep(v, replacement)]),
    );
  }
  return value;
}

/**
 * The entity's static query and body with `since` applied per its `incremental` kind:
 * `query-param` adds the formatted instant as the parameter; `query-template` puts the clause (its `{since}`
 * filled) in place of `{incremental}`, or removes `{incremental}` when there is no `since`; `header` sends the
 * formatted instant as the request header (Xero's and Zoho CRM's `If-Modified-Since`).
 *
 * @example
 * applyIncremental({ query: { q: 'SELECT Id FROM Account{incremental}' }, incremental: { kind: 'query-template',
 *   cursorField: 'SystemModstamp', clause: ' WHERE SystemModstamp > {since}', format: 'iso8601' } }, since);
 * // { query: { q: 'SELECT Id FROM Account WHERE SystemModstamp > 2024-05-01T00:00:00Z' }, body: undefined, headers: {} }
 * applyIncremental({ query: {}, incremental: { kind: 'header', cursorField: 'UpdatedDateUTC',
 *   header: 'If-Modified-Since', format: 'iso8601' } }, since);
 * // { query: {}, body: undefined, headers: { 'If-Modified-Since': '2024-05-01T00:00:00Z' } }
 */
export function applyIncremental(
  entity: Pick<EntityConfig, 'query' | 'body' | 'incremental'>,
  since: Date | undefined,
): ListRequestParts {
  const query = { ...entity.query };
  const body = entity.body === undefined ? undefined : structuredClone(entity.body);
  const inc = entity.incremental;
  if (inc.kind === 'query-param') {
    if (since) query[inc.param] = formatSince(since, inc.format);
    return { query, body, headers: {} };
  }
  if (inc.kind === 'header') {
    return { query, body, headers: since ? { [inc.header]: formatSince(since, inc.format) } : {} };
  }
  if (inc.kind === 'query-template') {
    const clause = since ? inc.clause.split('{since}').join(formatSince(since, inc.format)) : '';
    // A parameter that is nothing but the clause is left out without a since, never sent empty (`filter=`).
    if (!since) for (const [key, value] of Object.entries(query)) if (value === '{incremental}') delete query[key];
    return {
      query: replaceDeep(query, clause) as Record<string, string>,
      body: body === undefined ? undefined : (replaceDeep(body, clause) as Record<string, unknown>),
      headers: {},
    };
  }
  return { query, body, headers: {} };
}

/** Microsoft JSON dates as .NET serializers write them (Xero's `UpdatedDateUTC`): `/Date(1573755038314+0000)/`. */
const MS_JSON_DATE = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/;

/**
 * A record's cursor-field value as epoch ms: ISO/date strings, Microsoft JSON dates (`/Date(ms+0000)/`, whose
 * milliseconds are UTC whatever the offset says), or numbers (seconds below 1e11, else ms).
 * `undefined` when absent or unreadable.
 *
 * @example
 * cursorInstant({ UpdatedDateUTC: '/Date(1573755038314+0000)/' }, 'UpdatedDateUTC'); // 1573755038314
 */
export function cursorInstant(record: unknown, cursorField: string): number | undefined {
  const value = getPath(record, cursorField);
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e11 ? value * 1000 : value;
  if (typeof value === 'string' && value !== '') {
    if (/^\d+(?:\.\d+)?$/.test(value)) {
      const n = Number(value);
      return n < 1e11 ? n * 1000 : n;
    }
    const msJson = MS_JSON_DATE.exec(value);
    if (msJson) return Number(msJson[1]);
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}
