/**
 * The schema of one platform entry in `configs/platform_configs_extended.json`.
 *
 * It is the single source of truth for both sides: the generator validates config against it (and writes its JSON
 * Schema for editors), and the runtime reads the validated value, embedded in each generated adapter as
 * `static meta`, to decide how to authenticate, paginate, limit and retry.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { AUTH_KIND_NAMES, AUTH_KIND_SCHEMAS, type AuthKind, authKindOf } from './auth/auth-kinds.js';
import { credentialFieldsOf } from './credential-fields.js';
import { type FieldKind, STANDARD_FIELDS, type StandardEntityType } from './normalize/standard-entities.js';
import { PAGINATION_KIND_SCHEMAS, paginationKindOf } from './pagination/pagination-kinds.js';
import { rateLimitModelSchemas } from './rate-limit/rate-limit-models.js';
import { jsonPointerPath, NAME_PATTERN, urlTemplate } from './schema-primitives.js';
import { signedContentConfigProblem } from './webhooks/signed-content-hmac-scheme.js';

export { camelCase } from './camel-case.js';

export const CATEGORIES = [
  'payments',
  'pos',
  'advertising',
  'analytics',
  'crm',
  'communication',
  'ecommerce',
  'marketing',
  'workflow',
  'social_media',
  'accounting',
  'project_management',
  'data_storage',
  'developer_tools',
  'hr_recruiting',
  'shipping_logistics',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Standard entity types, in the order `STANDARD_FIELDS` declares them. */
export const STANDARD_ENTITIES = Object.keys(STANDARD_FIELDS) as [StandardEntityType, ...StandardEntityType[]];

export const WEBHOOK_SCHEMES = [
  'stripe-v1',
  'shopify-hmac-sha256',
  'github-sha256',
  'meta-sha256',
  'slack-v0',
  'twilio-sha1',
  'hubspot-v3',
  'square-hmac-sha256',
  'standard-webhooks',
  'zendesk-hmac-sha256',
  'xero-hmac-sha256',
  'intercom-sha1',
] as const;

const ID_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const ENTITY_PATTERN = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
const TEMPLATE_VAR = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/** Names of `{variables}` used in a template string, in order of appearance. */
export function templateVariables(template: string): string[] {
  return [...template.matchAll(TEMPLATE_VAR)].map((m) => m[1] as string);
}

const httpsUrl = z.string().refine((s) => /^https:\/\/[^\s]+$/.test(s), { message: 'must be an https:// URL' });

const regexSource = z.string().superRefine((s, ctx) => {
  if (!s.startsWith('^') || !s.endsWith('$')) {
    ctx.addIssue({ code: 'custom', message: 'must be anchored with ^ and $' });
    return;
  }
  try {
    new RegExp(s);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `is not a valid regular expression: ${(error as Error).message}` });
  }
});

/** An IPv4 or IPv6 address, or a CIDR range of one (`192.30.252.0/22`, `2606:50c0::/32`). */
export function isCidr(text: string): boolean {
  const [address = '', prefix, ...rest] = text.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

const connectionVariable = z
  .object({
    type: z.literal('string'),
    description: z.string().min(1),
    pattern: regexSource,
    example: z.string().min(1),
    /** Appended when a user gives the bare value (e.g. `.myshopify.com`); stripped when they give the full host. */
    hostSuffix: z.string().optional(),
    default: z.string().optional(),
  })
  .strict();

/** One schema per auth kind, from its module (`auth/<kind>-kind.ts`), in the order `AUTH_KINDS` lists them. */
export const authSchema = z.discriminatedUnion('kind', AUTH_KIND_SCHEMAS);

/**
 * How a usage header reads: `ratio` is `used/capacity` anywhere in the value (Shopify `32/40`, Salesforce
 * `api-usage=25/15000`); `json-percent` is JSON whose numeric `keys`, wherever they are nested, are percentages of
 * a limit, the highest counting (Meta's `{"call_count":28,"total_cputime":60}` is 60/100).
 */
const usageFormat = z.discriminatedUnion('format', [
  z.object({ format: z.literal('ratio') }).strict(),
  z.object({ format: z.literal('json-percent'), keys: z.array(z.string().min(1)).min(1) }).strict(),
]);

/**
 * The platform's own names for its rate-limit headers, read before the standard ones (`X-RateLimit-*`,
 * `RateLimit-*`, `Retry-After`), which are read for every platform.
 */
const rateLimitHeaders = z
  .object({
    limit: z.string().optional(),
    remaining: z.string().optional(),
    reset: z.string().optional(),
    retryAfter: z.string().optional(),
    /** The window's length in milliseconds (HubSpot's `X-HubSpot-RateLimit-Interval-Milliseconds`). */
    window: z.string().optional(),
    /**
     * Usage headers such as Shopify's `X-Shopify-Shop-Api-Call-Limit: 32/40`, or several (Meta's
     * `X-App-Usage`, `X-Business-Use-Case-Usage`, …): the fullest one counts.
     */
    usage: z.union([z.string(), z.array(z.string().min(1)).min(1)]).optional(),
    /** How the usage headers read; default `ratio`. */
    usageFormat: usageFormat.optional(),
  })
  .strict();

const rateLimitCommon = {
  /** Whose budget it is: one connection's (token/shop/account), or the whole app's. */
  scope: z.enum(['connection', 'app']).default('connection'),
  headers: rateLimitHeaders.default({}),
  statusCodes: z.array(z.number().int().min(400).max(599)).min(1).default([429]),
  /** Source of the figures, and anything the numbers alone do not say. */
  notes: z.string().min(1),
};

/** One schema per rate-limit model (`rate-limit/<model>-model.ts`) with the common fields, in `RATE_LIMIT_MODELS` order. */
export const rateLimitSchema = z.discriminatedUnion('model', rateLimitModelSchemas(rateLimitCommon));

export const retrySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(10).default(3),
    baseDelayMs: z.number().int().positive().default(500),
    maxDelayMs: z.number().int().positive().default(30_000),
    /** Longest server-requested wait (Retry-After) the client honours before giving up. */
    maxRetryAfterMs: z.number().int().positive().default(60_000),
    statusCodes: z.array(z.number().int().min(400).max(599)).default([408, 429, 500, 502, 503, 504]),
    /** Header carrying an idempotency key; writes are retried only when the platform has one. */
    idempotencyHeader: z.string().min(1).optional(),
    /**
     * Where an error body says how long to wait, as a protobuf Duration (`"13s"`, `"0.5s"`), for platforms that say
     * it there rather than in `Retry-After` (Google's `google.rpc.RetryInfo`: `error.details.*.retryDelay`). Dotted
     * paths; `*` takes every element of an array. Read only when no `Retry-After`/`Retry-After-Ms` header came.
     */
    bodyDelayPaths: z
      .array(
        z
          .string()
          .regex(
            /^(\*|[A-Za-z0-9_$@-]+)(\.(\*|[A-Za-z0-9_$@-]+))*$/,
            'must be a dotted path such as "error.details.*.retryDelay"',
          ),
      )
      .min(1)
      .optional(),
  })
  .strict();

/** One schema per pagination kind, from its module (`pagination/<kind>-kind.ts`), in `PAGINATION_KINDS` order. */
export const paginationSchema = z.discriminatedUnion('kind', PAGINATION_KIND_SCHEMAS);

const fieldType = z
  .string()
  .regex(
    /^(?:string|number|integer|boolean|object|unknown)(?:\[\])?(?:\|null)?\??$/,
    'must be a field type such as "string", "number|null", "string[]" or "object?"',
  );

/**
 * How a `since` instant is written: `iso8601` (`2024-05-01T10:20:30Z`), `iso8601-offset` (`…T10:20:30+00:00`, for
 * platforms that document a numeric offset), unix seconds or milliseconds, or a `date` (`2024-05-01`).
 */
const sinceFormat = z.enum(['iso8601', 'iso8601-offset', 'unix-seconds', 'unix-millis', 'date']).default('iso8601');

const incrementalSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('query-param'),
      /** Record field holding the modification time; the sync cursor is its maximum. */
      cursorField: z.string().min(1),
      /** Query parameter that filters by it. */
      param: z.string().min(1),
      format: sinceFormat,
    })
    .strict(),
  z
    .object({
      kind: z.literal('query-template'),
      cursorField: z.string().min(1),
      /**
       * Fragment put in place of `{incremental}` in the entity's query values when a `since` is given
       * (e.g. a SOQL ` WHERE SystemModstamp > {since}`); removed otherwise.
       */
      clause: z.string().min(1),
      format: sinceFormat,
    })
    .strict(),
  z
    .object({
      /** A request header filters the list (Xero's and Zoho CRM's `If-Modified-Since`), sent only with a `since`. */
      kind: z.literal('header'),
      cursorField: z.string().min(1),
      /** Header name, e.g. `If-Modified-Since`. */
      header: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be an HTTP header name'),
      format: sinceFormat,
    })
    .strict(),
  z.object({ kind: z.literal('none'), reason: z.string().min(1) }).strict(),
]);

const writeOperation = z.enum(['create', 'update', 'delete']);

export const MAPPING_CONVERSIONS = ['unix-seconds', 'unix-millis', 'minor-units', 'major-units'] as const;
const mappingSource = z.union([
  jsonPointerPath.min(1),
  z.object({ path: jsonPointerPath.min(1), as: z.enum(MAPPING_CONVERSIONS) }).strict(),
]);
export type MappingSource = z.output<typeof mappingSource>;

/** Which conversions make sense for which field kinds. */
const CONVERSIONS_FOR: Record<(typeof MAPPING_CONVERSIONS)[number], readonly FieldKind[]> = {
  'unix-seconds': ['datetime', 'date'],
  'unix-millis': ['datetime', 'date'],
  'minor-units': ['money'],
  'major-units': ['money'],
};

export const entitySchema = z
  .object({
    /** Path relative to the base URL; may use `{variables}` from the connection config. */
    path: z.string().regex(/^\//, 'must start with /'),
    method: z.enum(['GET', 'POST']).default('GET'),
    /**
     * Static query parameters. `{name}` in a value is filled from the connection config when `name` is one of its
     * variables (or `apiVersion`), `{incremental}` by the incremental clause; other braces stay as written (Graph
     * API field expansions such as `creative{id}`).
     */
    query: z.record(z.string(), z.string()).default({}),
    /** Static JSON body for POST list/search endpoints (string values may contain `{incremental}`). */
    body: z.record(z.string(), z.unknown()).optional(),
    /** Dotted path of the record array in a page; empty when the page is the array. */
    recordsPath: jsonPointerPath,
    /** Record id: a field name, or a dotted path into nested rows (Google Ads `campaign.id`). */
    idField: z.string().min(1),
    /** Singular of the entity name for method and type names, when the plain rule gets it wrong. */
    singular: z.string().regex(ENTITY_PATTERN).optional(),
    /** Path of one record, `{id}` for its id; defaults to `<path>/{id}`. */
    itemPath: z.string().regex(/^\//, 'must start with /').optional(),
    /** Query parameters for reading one record (e.g. Graph API `fields`). */
    itemQuery: z.record(z.string(), z.string()).default({}),
    /** Whether one record can be read by id (false where the API only searches, e.g. Google Ads). */
    getById: z.boolean().default(true),
    /** Path that creates a record, when it is not the list path (Salesforce lists by SOQL, creates at /sobjects). */
    createPath: z.string().regex(/^\//, 'must start with /').optional(),
    /** Dotted path of the record inside a single-record response; empty when it is the body. */
    itemRecordPath: jsonPointerPath.default(''),
    /**
     * How the write endpoints take a body: JSON, form-encoded with bracketed nesting (Stripe), or form-encoded with
     * object and array values as JSON text (Graph API); optionally wrapped (`{"customer": …}`).
     */
    writeBody: z
      .object({
        encoding: z.enum(['json', 'form', 'form-json-values']).default('json'),
        wrapIn: z.string().min(1).optional(),
      })
      .strict()
      .default({ encoding: 'json' }),
    write: z.array(writeOperation).default([]),
    /** HTTP method for updates. */
    updateMethod: z.enum(['PUT', 'PATCH', 'POST']).default('PATCH'),
    incremental: incrementalSchema,
    standard: z.enum(STANDARD_ENTITIES).optional(),
    /**
     * Standard field → where it is in the raw record: a dotted path, or `{ path, as }` when the raw value needs a
     * conversion the field's kind does not imply (`unix-seconds`/`unix-millis` timestamps, `minor-units` money).
     */
    mapping: z.record(z.string(), mappingSource).default({}),
    /** Record type from the platform's OpenAPI description (a `components.schemas` name). */
    openapiSchema: z.string().min(1).optional(),
    /** Record type declared here when the platform publishes no OpenAPI description. */
    fields: z.record(z.string(), fieldType).optional(),
    pagination: paginationSchema.optional(),
    description: z.string().min(1),
  })
  .strict();

/**
 * Where the signing secret of a webhook registered through the API comes from: the platform's answer (Stripe's
 * `whsec_…`), a secret EnGarde generates and sends (`{secret}` in the body: GitHub), the OAuth app's client secret
 * (Shopify), or the user, who copies it from the platform's dashboard after the registration (`instructions` say
 * where).
 */
const webhookSecretSource = z.discriminatedUnion('from', [
  z
    .object({ from: z.literal('response'), path: jsonPointerPath.refine((p) => p !== '', 'must not be empty') })
    .strict(),
  z.object({ from: z.literal('generated') }).strict(),
  z.object({ from: z.literal('client-secret') }).strict(),
  z.object({ from: z.literal('user'), instructions: z.string().min(1) }).strict(),
  /**
   * The platform posts the secret to the endpoint in this header while the create request is in flight, and takes
   * the subscription only when the endpoint answers with the same header (Asana's `X-Hook-Secret`).
   */
  z.object({ from: z.literal('handshake'), header: z.string().min(1) }).strict(),
]);

/** How subscriptions are made: by API call, or in the platform's dashboard/app settings. */
const webhookRegistration = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('api'),
      method: z.enum(['POST', 'PUT']),
      /** Where the subscription is created; `{variable}` placeholders from the connection config and `apiVersion`. */
      path: z.string().regex(/^\//),
      /**
       * The request body as a template: a string `"{endpointUrl}"`, `"{secret}"` or `"{event}"` is replaced by that
       * value (inside longer strings too); a string that is exactly `"{events}"` by the array of event types.
       */
      body: z.record(z.string(), z.unknown()),
      encoding: z.enum(['json', 'form']).default('json'),
      /** One subscription per event type (Shopify takes one topic per webhook). */
      perEvent: z.boolean().default(false),
      /** Dotted path of the platform's id of the new subscription in its answer. */
      idPath: jsonPointerPath.refine((p) => p !== '', 'must not be empty').optional(),
      /** The answer's header holding that id, where the body has none (Help Scout's `Resource-ID`). */
      idHeader: z.string().min(1).optional(),
      /** One subscription: read (the daily reconcile) and deleted (on disconnect); must contain `{webhookId}`. */
      itemPath: z
        .string()
        .regex(/^\//)
        .refine((p) => p.includes('{webhookId}'), 'must contain {webhookId}'),
      secret: webhookSecretSource,
      /** The vendor's reference of the registration endpoint. */
      docsUrl: httpsUrl,
    })
    .strict(),
  z.object({ kind: z.literal('dashboard'), instructions: z.string().min(1) }).strict(),
]);

/**
 * A webhook event that carries a record: the record is upserted into (or deleted from) the synced copy of `entity`,
 * unless the stored version is newer (`versionPath`, else the entity's incremental cursor field in the record).
 */
const webhookRecordEvent = z
  .object({
    entity: z.string().min(1),
    action: z.enum(['upsert', 'delete']),
    /** Dotted path of the record in the payload (`data.object` for Stripe); empty when the payload is the record. */
    recordPath: jsonPointerPath.default(''),
    /** Dotted path in the payload of the time the change happened (Stripe's event `created`). */
    versionPath: jsonPointerPath.optional(),
    /** An upsert event that is a deletion when the payload says so (GitHub's `issues` event with `action: deleted`). */
    deleteWhen: z
      .object({ path: jsonPointerPath, in: z.array(z.string().min(1)).min(1) })
      .strict()
      .optional(),
  })
  .strict();

/** What a delivery says about itself, in the body rather than in headers. */
const webhookDeliveryFields = {
  /** Dotted path of the platform's event id in a JSON body (Stripe's `id`, `evt_…`), used when no header has one. */
  deliveryIdPath: jsonPointerPath.optional(),
  /** Dotted path of the event type in a JSON body (Stripe's `type`), used when no header has one. */
  eventTypePath: jsonPointerPath.optional(),
  /** Event types whose payload carries a record (see `webhookRecordEvent`); other events trigger a sync. */
  records: z.record(z.string().min(1), webhookRecordEvent).default({}),
  /**
   * The address ranges the vendor publishes for its webhook senders; a connection may accept deliveries from them
   * only (`ip_allowlist` at registration).
   */
  sourceIps: z
    .object({
      ranges: z.array(z.string().refine((r) => isCidr(r), 'must be an IPv4 or IPv6 address or CIDR range')).min(1),
      source: httpsUrl,
    })
    .strict()
    .optional(),
};

const webhookSchema = z.discriminatedUnion('scheme', [
  z
    .object({
      scheme: z.enum(WEBHOOK_SCHEMES),
      signatureHeader: z.string().min(1),
      timestampHeader: z.string().min(1).optional(),
      deliveryIdHeader: z.string().min(1).optional(),
      eventTypeHeader: z.string().min(1).optional(),
      /** Replay window for schemes that sign a timestamp. */
      toleranceSeconds: z.number().int().positive().optional(),
      ...webhookDeliveryFields,
      registration: webhookRegistration,
      docsUrl: httpsUrl,
    })
    .strict(),
  z
    .object({
      /** A plain HMAC of the raw body in one header, for platforms whose scheme is exactly that. */
      scheme: z.literal('hmac-body'),
      algorithm: z.enum(['sha1', 'sha256', 'sha512']),
      encoding: z.enum(['hex', 'base64']),
      /** Text before the digest in the header, e.g. `sha256=`. */
      prefix: z.string().default(''),
      /** How the secret is written: the key's text, or base64 of its bytes (Airtable's `macSecretBase64`). */
      secretEncoding: z.enum(['utf8', 'base64']).default('utf8'),
      signatureHeader: z.string().min(1),
      deliveryIdHeader: z.string().min(1).optional(),
      eventTypeHeader: z.string().min(1).optional(),
      ...webhookDeliveryFields,
      registration: webhookRegistration,
      docsUrl: httpsUrl,
    })
    .strict(),
  z
    .object({
      /**
       * An HMAC over a signed string (a template over `{timestamp}`, `{body}` and `{id}`), for platforms that sign a
       * timestamp (and delivery id) with the body in a layout no named scheme has: Paddle's `ts=…;h1=…` over
       * `{timestamp}:{body}`, Box's body followed by its delivery timestamp.
       */
      scheme: z.literal('hmac-signed-content'),
      algorithm: z.enum(['sha1', 'sha256', 'sha512']),
      encoding: z.enum(['hex', 'base64']),
      /** Text before each digest, e.g. `v1=`. */
      prefix: z.string().default(''),
      secretEncoding: z.enum(['utf8', 'base64']).default('utf8'),
      /** The signed content, e.g. `{timestamp}:{body}`: literal text, `{body}` once, `{timestamp}` and `{id}`. */
      content: z.string().min(1),
      signatureHeader: z.string().min(1),
      /** The signature header as `key=value` entries (Paddle's `ts=…;h1=…`): separators and keys. */
      signatureList: z
        .object({
          separator: z.string().min(1),
          keyValueSeparator: z.string().min(1).default('='),
          signatureKey: z.string().min(1),
          timestampKey: z.string().min(1).optional(),
        })
        .strict()
        .optional(),
      /** Headers with digests by the account's other keys (Box's `BOX-SIGNATURE-SECONDARY`), read when present. */
      additionalSignatureHeaders: z.array(z.string().min(1)).min(1).optional(),
      timestampHeader: z.string().min(1).optional(),
      timestampFormat: z.enum(['unix-seconds', 'unix-millis', 'rfc3339']).default('unix-seconds'),
      deliveryIdHeader: z.string().min(1).optional(),
      eventTypeHeader: z.string().min(1).optional(),
      /** Replay window for the signed timestamp, as the vendor documents it. */
      toleranceSeconds: z.number().int().positive().default(300),
      ...webhookDeliveryFields,
      registration: webhookRegistration,
      docsUrl: httpsUrl,
    })
    .strict()
    .superRefine((webhooks, ctx) => {
      const problem = signedContentConfigProblem(webhooks);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  z.object({ scheme: z.literal('none'), reason: z.string().min(1) }).strict(),
]);

/**
 * Where each group of an entry's facts comes from: the vendor's own pages (or its official GitHub organisation's),
 * so the next audit checks the entry against what it cites. `scripts/check-sources.ts` checks every URL's host.
 */
const sourcesSchema = z
  .object({
    /** Base URL and API version. */
    api: httpsUrl.optional(),
    auth: httpsUrl.optional(),
    rateLimit: httpsUrl.optional(),
    pagination: httpsUrl.optional(),
    webhooks: httpsUrl.optional(),
    /** Per entity: its paths and its incremental filter (or the page showing there is none). */
    entities: z.record(z.string(), httpsUrl).default({}),
    /** The vendor's official GitHub organisations, whose repositories (OpenAPI descriptions, SDKs) may be cited. */
    githubOrgs: z
      .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, 'must be a GitHub organisation name'))
      .optional(),
    /**
     * The vendor's official domains besides those of its base URL, OAuth URLs and docsUrl (Adobe's magento.com, X's
     * twitter.com), whose pages may be cited.
     */
    domains: z
      .array(z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'must be a domain name, e.g. "example.com"'))
      .optional(),
  })
  .strict();

const platformObject = z
  .object({
    id: z.string().regex(ID_PATTERN, 'must be lowercase kebab-case, e.g. "google-ads"'),
    name: z.string().min(1),
    category: z.enum(CATEGORIES),
    description: z.string().min(1),
    docsUrl: httpsUrl,
    apiVersion: z.string().min(1),
    /** The day the entry was last checked against its `sources`. */
    verifiedAt: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date, YYYY-MM-DD')
      .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), { message: 'must be a real date' })
      .optional(),
    sources: sourcesSchema.optional(),
    connectionConfig: z.record(z.string().regex(NAME_PATTERN), connectionVariable).default({}),
    baseUrl: urlTemplate,
    /** Extra headers on every request; templates over credential and connection fields. */
    headers: z.record(z.string(), z.string()).default({}),
    auth: authSchema,
    rateLimit: rateLimitSchema,
    retry: retrySchema.default({
      maxAttempts: 3,
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      maxRetryAfterMs: 60_000,
      statusCodes: [408, 429, 500, 502, 503, 504],
    }),
    pagination: paginationSchema,
    /**
     * Response headers carrying the platform's own id for a request (`X-GitHub-Request-Id`), looked for before the
     * standard `Request-Id` and `X-Request-Id`; the id goes into errors and logs for support tickets.
     */
    requestIdHeaders: z.array(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a header name')).optional(),
    /**
     * How the platform reports an error in a 2xx body (Slack's `{ ok: false, error }`, GraphQL's `errors`): such a
     * response is raised as the typed error its code maps to, like the status it should have had.
     */
    errorBody: z
      .object({
        /** The body is an error when `path` holds `equals`, or (without `equals`) when `path` is present. */
        when: z
          .object({ path: jsonPointerPath.min(1), equals: z.union([z.boolean(), z.string(), z.number()]).optional() })
          .strict(),
        messagePath: jsonPointerPath.min(1),
        codePath: jsonPointerPath.min(1).optional(),
        /** Error codes that mean the same as these statuses. */
        codes: z
          .object({
            authentication: z.array(z.string().min(1)).default([]),
            permission: z.array(z.string().min(1)).default([]),
            notFound: z.array(z.string().min(1)).default([]),
            rateLimited: z.array(z.string().min(1)).default([]),
          })
          .strict()
          .default({ authentication: [], permission: [], notFound: [], rateLimited: [] }),
      })
      .strict()
      .optional(),
    /** A cheap authenticated request that proves the credentials work. */
    testConnection: z
      .object({
        method: z.enum(['GET', 'POST']).default('GET'),
        path: z.string().regex(/^\//),
        /** JSON body for a POST probe (a GraphQL `{ viewer { id } }`); values may use connection variables. */
        body: z.record(z.string(), z.unknown()).optional(),
      })
      .strict(),
    entities: z
      .record(z.string().regex(ENTITY_PATTERN, 'entity names are snake_case, e.g. "ad_groups"'), entitySchema)
      .refine((e) => Object.keys(e).length >= 1, { message: 'must declare at least one entity' }),
    webhooks: webhookSchema,
    openapi: z
      .object({
        /** Repository-relative path of the trimmed description, `configs/openapi/<id>.json`. */
        file: z.string().regex(/^configs\/openapi\/[a-z0-9-]+\.json$/),
        source: httpsUrl,
        version: z.string().min(1),
        /** What the base URL adds before the description's paths, when it cannot be derived (e.g. `/rest/V1`). */
        basePath: z
          .string()
          .regex(/^(\/[^/?#]+)*$/, 'must be empty or start with / (no trailing /)')
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

function isAnchoredRegex(source: string): boolean {
  if (!source.startsWith('^') || !source.endsWith('$')) return false;
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** Strings a host placeholder must refuse, or a value could point a request (and its credentials) elsewhere. */
export const HOST_ESCAPE_PROBES = ['evil.com#', 'x@evil.com', 'evil.com/', 'evil.com?', 'evil.com:443', 'a b'];

type AuthOf<K extends AuthConfig['kind']> = Extract<AuthConfig, { kind: K }>;

/** The credential fields each auth kind defines (optional ones included), before `extraCredentials`. */
/**
 * The credential field names each auth kind defines (optional ones included), before `extraCredentials`.
 * @deprecated Derived from each kind's `credentialFields` (`auth/<kind>-kind.ts`); use `credentialFieldsOf`.
 */
export const BASE_CREDENTIALS = Object.fromEntries(
  AUTH_KIND_NAMES.map((kind) => [
    kind,
    (auth: AuthConfig) =>
      authKindOf(auth)
        .credentialFields(auth)
        .map((f) => f.name),
  ]),
) as { [K in AuthKind]: (auth: AuthOf<K>) => string[] };

/** Cross-field rules the shape alone cannot say; each issue carries the path it concerns. */
export const platformSchema = platformObject.superRefine((p, ctx) => {
  const s = p.sources;
  const citesFacts =
    s !== undefined &&
    ((['api', 'auth', 'rateLimit', 'pagination', 'webhooks'] as const).some((k) => s[k] !== undefined) ||
      Object.keys(s.entities).length > 0);
  if (citesFacts && p.verifiedAt === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['verifiedAt'],
      message: 'is required with sources: the day the entry was checked against them',
    });
  }
  if (!citesFacts && p.verifiedAt !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['sources'], message: 'must cite what the entry was verified against' });
  }
  for (const entity of Object.keys(p.sources?.entities ?? {})) {
    if (!Object.hasOwn(p.entities, entity)) {
      ctx.addIssue({
        code: 'custom',
        path: ['sources', 'entities', entity],
        message: 'is not an entity of this platform',
      });
    }
  }
  const connectionVars = new Set([...Object.keys(p.connectionConfig), 'apiVersion']);
  const credentialVars = new Set(credentialFieldsOf(p.auth).map((f) => f.name));
  const unknownVar = (template: string, allowed: Set<string>, path: PropertyKey[], what: string) => {
    for (const v of templateVariables(template)) {
      if (!allowed.has(v)) {
        ctx.addIssue({ code: 'custom', path, message: `uses {${v}}, which is not ${what}` });
      }
    }
  };
  const urlVars = (template: string, path: PropertyKey[]) => {
    unknownVar(template, connectionVars, path, 'a connectionConfig variable or apiVersion');
    const host = /^https:\/\/([^/]*)/.exec(template)?.[1] ?? '';
    for (const v of templateVariables(host)) {
      const variable = p.connectionConfig[v];
      if (!variable || !isAnchoredRegex(variable.pattern)) continue;
      const re = new RegExp(variable.pattern);
      const escapes = HOST_ESCAPE_PROBES.filter((probe) => re.test(probe));
      if (escapes.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['connectionConfig', v, 'pattern'],
          message: `is used in a host but accepts ${escapes.map((e) => JSON.stringify(e)).join(', ')}, which could send requests to another host`,
        });
      }
    }
  };
  urlVars(p.baseUrl, ['baseUrl']);
  const authKind = authKindOf(p.auth);
  for (const { path, template } of authKind.urlTemplates?.(p.auth) ?? []) urlVars(template, ['auth', ...path]);
  for (const { path, message } of authKind.issues?.(p.auth) ?? []) {
    ctx.addIssue({ code: 'custom', path: ['auth', ...path], message });
  }
  const headerVars = new Set([...credentialVars, ...connectionVars]);
  for (const [name, value] of Object.entries(p.headers)) {
    unknownVar(value, headerVars, ['headers', name], 'a credential or connectionConfig field');
  }
  for (const { path, template } of authKind.credentialTemplates?.(p.auth) ?? []) {
    unknownVar(template, credentialVars, ['auth', ...path], 'a credential field');
  }

  const checkPagination = (pg: PaginationConfig, path: PropertyKey[]) => {
    for (const issue of paginationKindOf(pg).issues?.(pg) ?? []) {
      ctx.addIssue({ code: 'custom', path: [...path, ...issue.path], message: issue.message });
    }
    if ('maxLimit' in pg && 'defaultLimit' in pg && pg.maxLimit && pg.defaultLimit && pg.defaultLimit > pg.maxLimit) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'defaultLimit'],
        message: `must not exceed maxLimit (${pg.maxLimit})`,
      });
    }
  };
  checkPagination(p.pagination, ['pagination']);

  for (const [name, e] of Object.entries(p.entities)) {
    const at = (...rest: PropertyKey[]) => ['entities', name, ...rest];
    unknownVar(e.path, connectionVars, at('path'), 'a connectionConfig variable or apiVersion');
    if (e.pagination) checkPagination(e.pagination, at('pagination'));
    if (!e.openapiSchema && !e.fields) {
      ctx.addIssue({ code: 'custom', path: at(), message: 'needs a record type: "openapiSchema" or "fields"' });
    }
    if (e.openapiSchema && !p.openapi) {
      ctx.addIssue({ code: 'custom', path: at('openapiSchema'), message: 'needs the platform\'s "openapi" source' });
    }
    if (Object.keys(e.mapping).length > 0 && !e.standard) {
      ctx.addIssue({ code: 'custom', path: at('mapping'), message: 'needs "standard", the entity it maps to' });
    }
    if (e.standard) {
      const fields: Record<string, FieldKind> = STANDARD_FIELDS[e.standard];
      for (const [field, source] of Object.entries(e.mapping)) {
        const kind = fields[field];
        if (!kind) {
          ctx.addIssue({
            code: 'custom',
            path: at('mapping', field),
            message: `is not a field of the standard ${e.standard} (fields: ${Object.keys(fields).join(', ')})`,
          });
          continue;
        }
        if (typeof source === 'object' && !CONVERSIONS_FOR[source.as].includes(kind)) {
          ctx.addIssue({
            code: 'custom',
            path: at('mapping', field, 'as'),
            message: `"${source.as}" does not apply to a ${kind} field`,
          });
        }
        if (typeof source === 'object' && source.as === 'minor-units' && !('currency' in e.mapping)) {
          ctx.addIssue({
            code: 'custom',
            path: at('mapping', field),
            message: 'is in minor units, so "currency" must be mapped too',
          });
        }
      }
    }
    const idRoot = e.idField.split('.')[0] as string;
    if (e.fields && !(idRoot in e.fields)) {
      ctx.addIssue({ code: 'custom', path: at('idField'), message: `"${idRoot}" is not among the declared fields` });
    }
    if (!e.getById && e.write.some((w) => w !== 'create') && !e.itemPath) {
      ctx.addIssue({
        code: 'custom',
        path: at('itemPath'),
        message: 'is required for updates and deletes when getById is false',
      });
    }
    if (e.createPath && !e.write.includes('create')) {
      ctx.addIssue({ code: 'custom', path: at('createPath'), message: 'is set but "write" does not include "create"' });
    }
    if (e.incremental.kind === 'query-template') {
      const uses = [...Object.values(e.query), JSON.stringify(e.body ?? {})].some((v) => v.includes('{incremental}'));
      if (!uses) {
        ctx.addIssue({
          code: 'custom',
          path: at('incremental'),
          message: 'is a query-template but no query or body value contains {incremental}',
        });
      }
    }
    if (e.itemPath && !e.itemPath.includes('{id}')) {
      ctx.addIssue({ code: 'custom', path: at('itemPath'), message: 'must contain {id}' });
    }
  }
  if (p.webhooks.scheme !== 'none') {
    const registration = p.webhooks.registration;
    if (registration.kind === 'api') {
      for (const key of ['path', 'itemPath'] as const) {
        unknownVar(
          registration[key].replace('{webhookId}', ''),
          connectionVars,
          ['webhooks', 'registration', key],
          'a connectionConfig variable or apiVersion',
        );
      }
      const body = JSON.stringify(registration.body);
      const bodyVars = [...body.matchAll(/\{([A-Za-z][A-Za-z0-9_]*)\}/g)]
        .map((m) => m[1] as string)
        .filter((name) => !['endpointUrl', 'events', 'event', 'secret'].includes(name) && !connectionVars.has(name));
      for (const name of new Set(bodyVars)) {
        ctx.addIssue({
          code: 'custom',
          path: ['webhooks', 'registration', 'body'],
          message: `uses {${name}}, which is neither a connectionConfig variable nor one of {endpointUrl}, {events}, {event}, {secret}`,
        });
      }
      if ((registration.idPath === undefined) === (registration.idHeader === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: ['webhooks', 'registration', 'idPath'],
          message: 'exactly one of idPath and idHeader must say where the subscription id is',
        });
      }
      if (!body.includes('{endpointUrl}')) {
        ctx.addIssue({
          code: 'custom',
          path: ['webhooks', 'registration', 'body'],
          message: 'must contain {endpointUrl}',
        });
      }
      if (registration.secret.from === 'generated' && !body.includes('{secret}')) {
        ctx.addIssue({
          code: 'custom',
          path: ['webhooks', 'registration', 'body'],
          message: 'must contain {secret}: the secret source is "generated", so EnGarde sends the secret it chose',
        });
      }
      if (registration.perEvent && registration.secret.from === 'response') {
        ctx.addIssue({
          code: 'custom',
          path: ['webhooks', 'registration', 'secret'],
          message: 'cannot be "response" with perEvent: each subscription would answer with its own secret',
        });
      }
      if (registration.perEvent !== body.includes('{event}')) {
        ctx.addIssue({
          code: 'custom',
          path: ['webhooks', 'registration', 'body'],
          message: registration.perEvent
            ? 'must contain {event} (perEvent is true)'
            : 'uses {event} but perEvent is not true',
        });
      }
    }
    for (const [type, event] of Object.entries(p.webhooks.records)) {
      if (!(event.entity in p.entities)) {
        ctx.addIssue({
          code: 'custom',
          path: ['webhooks', 'records', type, 'entity'],
          message: `names no entity of this platform (entities: ${Object.keys(p.entities).join(', ')})`,
        });
      }
    }
  }
});

export type PlatformConfig = z.output<typeof platformSchema>;
export type PlatformConfigInput = z.input<typeof platformSchema>;
export type AuthConfig = PlatformConfig['auth'];
export type RateLimitConfig = PlatformConfig['rateLimit'];
export type RetryConfig = PlatformConfig['retry'];
export type PaginationConfig = z.output<typeof paginationSchema>;
export type EntityConfig = z.output<typeof entitySchema>;
export type WebhookConfig = PlatformConfig['webhooks'];
export type StandardEntityName = StandardEntityType;

/** The config file: a `$schema` pointer and the platforms. */
export const configFileSchema = z
  .object({
    $schema: z.string().optional(),
    platforms: z.array(z.unknown()),
  })
  .strict();
