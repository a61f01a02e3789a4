/**
 * The dashboard's calls to the REST API (DESIGN.md §4), each one line over the typed client, and the types of what
 * they answer — taken from the API's own OpenAPI description (`schema.d.ts`), so a route that changes its answer
 * breaks the page's type-check rather than the page.
 */
import { api, ok } from './api/client';
import type { paths } from './api/schema';

/** The JSON body a route answers with `status`. */
type Answer<P extends keyof paths, M extends 'get' | 'post', S extends number = 200> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer T } } };
}
  ? T
  : never;

export type ConnectionPage = Answer<'/integrations/connections', 'get'>;
export type Connection = ConnectionPage['connections'][number];
export type Health = Answer<'/integrations/{integration_id}/health', 'get'>;
export type SyncStatus = Answer<'/integrations/{integration_id}/sync', 'get'>;
export type EntitySyncStatus = SyncStatus['entities'][number];
export type SyncSettings = Required<
  Pick<
    NonNullable<paths['/integrations/{integration_id}/sync']['post']['requestBody']>['content']['application/json'],
    'sync_direction' | 'frequency' | 'entities' | 'conflict_strategy'
  >
>;
export type RecordPage = Answer<'/integrations/{integration_id}/records/{entity_type}', 'get'>;
export type SyncedRecord = RecordPage['records'][number];
export type Conflict = Answer<'/integrations/{integration_id}/conflicts', 'get'>['conflicts'][number];
export type EventPage = Answer<'/integrations/{integration_id}/events', 'get'>;
export type WebhookEvent = EventPage['events'][number];
export type Webhook = Answer<'/integrations/{integration_id}/webhooks', 'get'>['webhooks'][number];
export type Integration = Answer<'/integrations/registry/{integration_id}', 'get'>['integration'];
export type RegistryEntity = Integration['entities'][number];
export type Statistics = Answer<'/integrations/{integration_id}/statistics', 'get'>;
export type AlertPage = Answer<'/alerts', 'get'>;
export type Alert = AlertPage['alerts'][number];

/** Where a platform route is aimed: the platform in the path, the connection in the query. */
export interface Target {
  platform: string;
  connectionId: string;
}

const at = (t: Target) => ({ path: { integration_id: t.platform }, query: { connection_id: t.connectionId } });

export const listConnections = (cursor?: string, limit = 100) =>
  ok(api.GET('/integrations/connections', { params: { query: { limit, cursor } } }));

let names: Promise<Map<string, string>> | undefined;

/** Platform ids to names (`hubspot` → `HubSpot`), from the registry list, asked for once per page load. */
export function platformNames(): Promise<Map<string, string>> {
  names ??= ok(api.GET('/integrations/registry')).then(
    ({ integrations }) => new Map(integrations.map((i) => [i.id, i.name])),
    (error: unknown) => {
      names = undefined;
      throw error;
    },
  );
  return names;
}

export const loadIntegration = (platform: string) =>
  ok(api.GET('/integrations/registry/{integration_id}', { params: { path: { integration_id: platform } } }));

export const checkHealth = (t: Target) => ok(api.GET('/integrations/{integration_id}/health', { params: at(t) }));

export const loadSyncStatus = (t: Target) => ok(api.GET('/integrations/{integration_id}/sync', { params: at(t) }));

export const startSync = (t: Target, body: SyncSettings) =>
  ok(api.POST('/integrations/{integration_id}/sync', { params: at(t), body }));

export const listRecords = (t: Target, entity: string, options: { cursor?: string; includeDeleted: boolean }) =>
  ok(
    api.GET('/integrations/{integration_id}/records/{entity_type}', {
      params: {
        path: { integration_id: t.platform, entity_type: entity },
        query: {
          connection_id: t.connectionId,
          limit: 25,
          cursor: options.cursor,
          include_deleted: options.includeDeleted ? 'true' : 'false',
        },
      },
    }),
  );

export const listConflicts = (t: Target) =>
  ok(
    api.GET('/integrations/{integration_id}/conflicts', {
      params: { path: at(t).path, query: { connection_id: t.connectionId, status: 'open', limit: 100 } },
    }),
  );

export const resolveConflict = (
  t: Target,
  conflictId: string,
  body: { resolution: 'local' | 'remote' | 'merge'; data?: Record<string, unknown> },
) =>
  ok(
    api.POST('/integrations/{integration_id}/conflicts/{conflict_id}/resolve', {
      params: { path: { integration_id: t.platform, conflict_id: conflictId }, query: at(t).query },
      body,
    }),
  );

export const listEvents = (t: Target, cursor?: string) =>
  ok(
    api.GET('/integrations/{integration_id}/events', {
      params: { path: at(t).path, query: { connection_id: t.connectionId, limit: 25, cursor } },
    }),
  );

export const listWebhooks = (t: Target) => ok(api.GET('/integrations/{integration_id}/webhooks', { params: at(t) }));

export const loadStatistics = (t: Target, from: Date, to: Date) =>
  ok(
    api.GET('/integrations/{integration_id}/statistics', {
      params: {
        path: { integration_id: t.platform },
        query: { connection_id: t.connectionId, from: from.toISOString(), to: to.toISOString() },
      },
    }),
  );

export const disconnect = (t: Target) => ok(api.POST('/integrations/{integration_id}/disconnect', { params: at(t) }));

export const listAlerts = (status: 'open' | 'resolved' | 'all', cursor?: string) =>
  ok(api.GET('/alerts', { params: { query: { status, limit: 50, cursor } } }));

export const acknowledgeAlert = (alertId: string) =>
  ok(api.POST('/alerts/{alert_id}/ack', { params: { path: { alert_id: alertId } } }));
