/**
 * Request parts several route modules share (DESIGN.md §4): list limits, the platform in the path, and the
 * `?connection_id=` that picks one of a tenant's connections to it; and the response bodies they share (below).
 */
import { z } from 'zod';
import type { alertJson } from '../alerts/alert-store.js';
import type { connectionJson } from './connection-json.js';
import type { IntegrationDetail, IntegrationSummary } from './integration-catalog.js';

/** `limit` of a list route: default 100, at most 500. */
export const limitParam = z.coerce.number().int().min(1).max(500).default(100);

/** `{integration_id}`: a platform id. */
export const platformParams = z.object({ integration_id: z.string().min(1).max(100) });

/** `?connection_id=`, optional when the tenant has one connection to the platform. */
export const connectionQuery = z.object({ connection_id: z.uuid().optional() });

// ---------------------------------------------------------------------------------------------------------------
// Response bodies. The serializer checks every answer against its route's schema (and an object drops keys it does
// not declare), so each schema states exactly what its handler answers: nullable where the handler writes `null`,
// optional where it leaves the key out. Open objects (a platform's raw record, JSON Schema documents, alert
// details) are loose: they pass through whole.
// ---------------------------------------------------------------------------------------------------------------

/** An instant as the API writes it: `Date#toISOString()` (UTC, milliseconds). */
export const instant = z.iso.datetime();

/** `next_cursor` of a list: opaque, null at the end. */
export const nextCursor = z.string().nullable();

/** Any JSON object, kept whole: a platform's raw record, a normalized record, a JSON Schema, alert details. */
export const openObject = z.looseObject({});

/** A connection as every route shows it (`connection-json.ts`): never a credential. */
export const connectionResponse = z.object({
  connection_id: z.string(),
  platform: z.string(),
  label: z.string().nullable(),
  status: z.enum(['active', 'needs_reauth', 'disconnected']),
  health: z.enum(['unknown', 'healthy', 'unhealthy']),
  last_sync_at: instant.nullable(),
  created_at: instant,
  scopes: z.array(z.string()),
});

/** The writes a platform allows on an entity (`create`, `update`, `delete`). */
const writeOperations = z.array(z.string());

/** What the registry list and detail share of a platform (`integration-catalog.ts`). */
const integrationCommon = z.object({
  id: z.string(),
  name: z.string(),
  category: z.string(),
  auth_kind: z.string(),
  docs_url: z.string(),
  api_version: z.string(),
  supports: z.object({ write: z.boolean(), webhooks: z.boolean(), incremental: z.boolean(), oauth: z.boolean() }),
  webhooks: z.object({ scheme: z.string() }),
  rate_limit: z.object({ model: z.string(), summary: z.string() }),
});

/** A platform in `GET /integrations/registry`. */
export const integrationSummaryResponse = integrationCommon.extend({
  summary: z.string(),
  entities: z.array(
    z.object({ name: z.string(), standard: z.string().nullable(), write: writeOperations, incremental: z.boolean() }),
  ),
});

/** The JSON Schema of a platform's credentials or connection config; each property's schema passes through whole. */
const jsonSchemaDocument = z.object({
  type: z.literal('object'),
  properties: z.record(z.string(), openObject),
  required: z.array(z.string()),
  additionalProperties: z.literal(false),
});

/** A platform in `GET /integrations/registry/{integration_id}`. */
export const integrationDetailResponse = integrationCommon.extend({
  description: z.string(),
  entities: z.array(
    z.object({
      name: z.string(),
      description: z.string(),
      standard: z.string().nullable(),
      read: z.literal(true),
      write: writeOperations,
      incremental: z.boolean(),
    }),
  ),
  credentials_schema: jsonSchemaDocument,
  connection_config_schema: jsonSchemaDocument,
  oauth: z.object({ scopes: z.array(z.string()), scope_separator: z.string(), grant_type: z.string() }).nullable(),
  /** How to connect, in words (`setup-guide.ts`). */
  setup_guide: z.object({
    sign_in: z.string(),
    credentials: z.array(z.object({ field: z.string(), required: z.boolean(), what: z.string() })),
    connection_settings: z.array(
      z.object({ field: z.string(), required: z.boolean(), what: z.string(), example: z.string() }),
    ),
    scopes: z.array(z.string()),
    webhooks: z.object({ setup: z.enum(['automatic', 'in-platform', 'unavailable']), steps: z.string() }),
    errors: z.array(z.object({ error: z.string(), meaning: z.string(), action: z.string() })),
  }),
});

/** A synced record (the local copy): the platform's raw `data` and its `normalized` standard entity. */
export const syncRecordResponse = z.object({
  external_id: z.string(),
  data: openObject,
  normalized: openObject.nullable(),
  remote_updated_at: instant.nullable(),
  local_updated_at: instant.nullable(),
  deleted: z.boolean(),
  /** Why the last push of this record failed; absent when it did not. */
  push_error: z.string().optional(),
});

/** A conflict between a local change and the platform, field by field. */
export const conflictResponse = z.object({
  conflict_id: z.string(),
  entity_type: z.string(),
  external_id: z.string(),
  status: z.enum(['open', 'resolved']),
  fields: z.record(z.string(), z.object({ base: z.unknown(), local: z.unknown(), remote: z.unknown() })),
  created_at: instant,
  resolved_at: instant.nullable(),
  resolution: z.string().nullable(),
});

/** An alert (`alert-store.ts` `alertJson`). */
export const alertResponse = z.object({
  alert_id: z.string(),
  rule: z.string(),
  status: z.enum(['open', 'resolved']),
  severity: z.enum(['info', 'warning', 'critical']),
  connection_id: z.string().nullable(),
  platform: z.string().nullable(),
  message: z.string(),
  details: openObject,
  first_seen_at: instant,
  last_seen_at: instant,
  resolved_at: instant.nullable(),
  acknowledged_at: instant.nullable(),
  acknowledged_by: z.string().nullable(),
  occurrences: z.number().int(),
});

/**
 * The keys of `Actual` (at any depth, through arrays and nullable values) that the schema's output does not declare:
 * the serializer would drop them silently. A loose object declares every key.
 */
type Undeclared<Actual, Declared> = Actual extends readonly (infer Item)[]
  ? Undeclared<Item, NonNullable<Declared> extends readonly (infer D)[] ? D : never>
  : Actual extends object
    ?
        | Exclude<keyof Actual, keyof NonNullable<Declared>>
        | {
            [K in keyof Actual & keyof NonNullable<Declared>]: Undeclared<Actual[K], NonNullable<Declared>[K]>;
          }[keyof Actual & keyof NonNullable<Declared>]
    : never;

/** `true`, or the undeclared keys (which then fail {@link Assert}, naming them). */
type Declares<Schema extends z.ZodType, Actual> = [Undeclared<Actual, z.output<Schema>>] extends [never]
  ? true
  : { undeclared: Undeclared<Actual, z.output<Schema>> };

type Assert<T extends true> = T;

/**
 * A compile-time check that the shared response schemas declare every field their producers answer: adding a field
 * to `connectionJson`, the catalogue's summaries or details, or `alertJson` without adding it here fails the build
 * instead of vanishing from the answers.
 */
export type ResponseSchemasDeclareEveryField = [
  Assert<Declares<typeof connectionResponse, ReturnType<typeof connectionJson>>>,
  Assert<Declares<typeof integrationSummaryResponse, IntegrationSummary>>,
  Assert<Declares<typeof integrationDetailResponse, IntegrationDetail>>,
  Assert<Declares<typeof alertResponse, ReturnType<typeof alertJson>>>,
];
