/**
 * Salesforce REST API, as https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta describes it:
 *
 * - Auth: bearer session (OAuth access token); an expired or unknown one is a 401
 *   `[{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }]`. Errors are arrays of
 *   `{ message, errorCode, fields? }`.
 * - Query (resources_query.htm): `GET /services/data/<version>/query?q=<SOQL>` answers `{ totalSize, done, records,
 *   nextRecordsUrl }`; records carry `attributes { type, url }` and exactly the selected fields (null when empty);
 *   a field the object lacks is a 400 `INVALID_FIELD`; later batches come from `nextRecordsUrl` (a query locator;
 *   2,000 records a batch by default); `/query` leaves out deleted records and `/queryAll` includes them. The SOQL
 *   understood here: `SELECT <fields> FROM <object> [WHERE <field> <op> <literal> [AND …]] [ORDER BY <field>
 *   [ASC|DESC]] [LIMIT n]`.
 * - Writes (dome_sobject_create.htm, dome_update_fields.htm, dome_delete_record.htm): POST `/sobjects/<Type>`
 *   answers 201 `{ id, success: true, errors: [] }`; PATCH and DELETE `/sobjects/<Type>/<id>` answer 204; a missing
 *   required field is 400 `REQUIRED_FIELD_MISSING`, a read-only one `INVALID_FIELD_FOR_INSERT_UPDATE`, an unknown
 *   one `INVALID_FIELD`; a deleted record reads as 404 `ENTITY_IS_DELETED`; writes bump `LastModifiedDate` and
 *   `SystemModstamp`.
 * - Limits (https://developer.salesforce.com/docs/platform/salesforce-app-limits-cheatsheet/guide/salesforce-app-limits-platform-api.html,
 *   and the REST developer guide's "Limits" resource): a daily allocation of API requests per org over a rolling
 *   24 hours (Enterprise Edition: 100,000 plus per-licence amounts; set `rateLimit.dailyAllocation` small to test
 *   exhaustion); every response carries `Sforce-Limit-Info: api-usage=<used>/<allocation>`; over it, 403
 *   `[{ message: "TotalRequests Limit exceeded.", errorCode: "REQUEST_LIMIT_EXCEEDED" }]`; `GET /limits` reports
 *   `DailyApiRequests { Max, Remaining }`.
 * - OAuth (https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm):
 *   `POST /services/oauth2/token`; the answer has `access_token`, `instance_url`, `id`, `issued_at`, `signature`,
 *   `token_type` and no `expires_in` (the session lasts the org's timeout, 2 hours by default); a new refresh token
 *   only when the app enables refresh token rotation; PKCE checked when a challenge was registered; errors are 400
 *   `{ error: "invalid_grant", error_description: "expired access/refresh token" }`.
 */
import { randomUUID } from 'node:crypto';
import { type OAuthEmulatorControl, type PlatformEmulator, platformEmulator } from '../emulator-control.js';
import {
  emulatorControl,
  type OAuthEmulatorOptions,
  oauthControl,
  oauthTokenIssuer,
  resolveEmulatorOptions,
  type TokenDefaults,
} from '../emulator-options.js';
import { bearerToken, type EmulatorRequest, type EmulatorResponse, seededDate } from '../emulator-server.js';
import { oauthTokenRoute } from '../oauth-token-route.js';
import { SlidingWindow } from '../rate-limiters.js';

type Row = Record<string, unknown>;

interface SObject {
  prefix: string;
  seed: (i: number) => Row;
  /** Fields that exist (standard fields this emulator knows). */
  fields: string[];
  /** Fields that cannot be written. */
  readOnly: string[];
  required: string[];
}

const SYSTEM = ['Id', 'IsDeleted', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp', 'OwnerId'];
const OWNER = '005000000000001AAA';

const OBJECTS: Record<string, SObject> = {
  Contact: {
    prefix: '003',
    seed: (i) => ({ FirstName: 'Contact', LastName: `${i}`, Email: `contact${i}@example.com`, AccountId: null }),
    fields: [
      ...SYSTEM,
      'FirstName',
      'LastName',
      'Name',
      'Email',
      'Phone',
      'MobilePhone',
      'Title',
      'Department',
      'AccountId',
      'LeadSource',
      'MailingCity',
      'MailingCountry',
      'Description',
    ],
    readOnly: ['Name'],
    required: ['LastName'],
  },
  Account: {
    prefix: '001',
    seed: (i) => ({ Name: `Account ${i}`, Industry: 'Technology', Website: `https://account${i}.example.com` }),
    fields: [
      ...SYSTEM,
      'Name',
      'Type',
      'Industry',
      'Website',
      'Phone',
      'BillingCity',
      'BillingCountry',
      'AnnualRevenue',
      'NumberOfEmployees',
      'Description',
    ],
    readOnly: [],
    required: ['Name'],
  },
  Opportunity: {
    prefix: '006',
    seed: (i) => ({ Name: `Opportunity ${i}`, StageName: 'Prospecting', Amount: 1000 + i, CloseDate: '2026-12-31' }),
    fields: [
      ...SYSTEM,
      'Name',
      'AccountId',
      'StageName',
      'Amount',
      'CloseDate',
      'Probability',
      'IsClosed',
      'IsWon',
      'Type',
      'LeadSource',
      'Description',
    ],
    readOnly: ['IsClosed', 'IsWon'],
    required: ['Name', 'StageName', 'CloseDate'],
  },
  Lead: {
    prefix: '00Q',
    seed: (i) => ({
      FirstName: 'Lead',
      LastName: `${i}`,
      Company: `Lead Co ${i}`,
      Email: `lead${i}@example.com`,
      Status: 'Open - Not Contacted',
    }),
    fields: [
      ...SYSTEM,
      'FirstName',
      'LastName',
      'Name',
      'Company',
      'Email',
      'Phone',
      'Title',
      'Status',
      'LeadSource',
      'Industry',
      'IsConverted',
      'ConvertedAccountId',
      'ConvertedContactId',
      'ConvertedOpportunityId',
    ],
    readOnly: ['Name', 'IsConverted', 'ConvertedAccountId', 'ConvertedContactId', 'ConvertedOpportunityId'],
    required: ['LastName', 'Company'],
  },
};

/** Salesforce's dateTime format: `2026-01-01T00:01:00.000+0000`. */
const sfDate = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
const parseSfDate = (value: unknown) => Date.parse(String(value).replace(/\+0000$/, 'Z'));

/** Derived fields (compound names, opportunity stage flags) as Salesforce computes them. */
function derive(type: string, record: Row): void {
  if (type === 'Contact' || type === 'Lead') {
    record.Name = [record.FirstName, record.LastName]
      .filter((v) => v !== null && v !== undefined && v !== '')
      .join(' ');
  }
  if (type === 'Opportunity') {
    record.IsClosed = String(record.StageName).startsWith('Closed');
    record.IsWon = record.StageName === 'Closed Won';
  }
  if (type === 'Lead') {
    record.IsConverted ??= false;
    record.ConvertedAccountId ??= null;
    record.ConvertedContactId ??= null;
    record.ConvertedOpportunityId ??= null;
  }
}

interface Condition {
  field: string;
  op: string;
  value: unknown;
}
interface Soql {
  fields: string[];
  object: string;
  where: Condition[];
  orderBy?: { field: string; descending: boolean };
  limit?: number;
}

class SoqlError extends Error {
  constructor(
    message: string,
    readonly errorCode: string,
  ) {
    super(message);
  }
}

function parseLiteral(raw: string): unknown {
  if (/^'.*'$/.test(raw)) return raw.slice(1, -1).replace(/\\'/g, "'");
  if (/^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
  if (/^null$/i.test(raw)) return null;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/.test(raw)) {
    return { dateTime: Date.parse(raw.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) };
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(raw)) return raw;
  if (/^-?\d+(?:\.\d+)?$/.test(raw)) return Number(raw);
  throw new SoqlError(`unexpected token: '${raw}'`, 'MALFORMED_QUERY');
}

/** Parses the SOQL subset this emulator understands. */
export function parseSoql(soql: string): Soql {
  const match =
    /^\s*SELECT\s+(.+?)\s+FROM\s+([A-Za-z_]+)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+([A-Za-z_]+)(?:\s+(ASC|DESC))?)?(?:\s+LIMIT\s+(\d+))?\s*$/is.exec(
      soql,
    );
  if (!match) throw new SoqlError(`unexpected token in query: ${soql}`, 'MALFORMED_QUERY');
  const [, select, object, where, orderField, direction, limit] = match as unknown as (string | undefined)[];
  const fields = (select as string).split(',').map((f) => f.trim());
  const conditions: Condition[] = [];
  if (where) {
    for (const part of where.split(/\s+AND\s+/i)) {
      const c = /^\s*([A-Za-z_]+)\s*(=|!=|<=|>=|<|>)\s*(.+?)\s*$/.exec(part);
      if (!c) throw new SoqlError(`unexpected token in WHERE: ${part}`, 'MALFORMED_QUERY');
      conditions.push({ field: c[1] as string, op: c[2] as string, value: parseLiteral(c[3] as string) });
    }
  }
  return {
    fields,
    object: object as string,
    where: conditions,
    ...(orderField ? { orderBy: { field: orderField, descending: direction?.toUpperCase() === 'DESC' } } : {}),
    ...(limit ? { limit: Number(limit) } : {}),
  };
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What the emulator issues unless its options say otherwise: 2-hour sessions, a refresh token that stays. */
const TOKEN_DEFAULTS: TokenDefaults = {
  clientId: 'salesforce-emulator-client',
  clientSecret: 'salesforce-emulator-secret',
  accessToken: '00Demulator!token',
  refreshToken: '5Aepemulator-refresh',
  accessTokenLifetimeSeconds: 7200,
  rotateRefreshTokens: false,
};

/**
 * Token options default to the session `00Demulator!token`, a lifetime of 7200 s (the default session timeout) and
 * no refresh-token rotation (Salesforce rotates only when the app enables it).
 */
export interface SalesforceEmulatorOptions extends OAuthEmulatorOptions {
  apiVersion?: string;
  /** Records per query batch (Salesforce defaults to 2,000; small values exercise paging). */
  batchSize?: number;
  /** The org's daily API request allocation (default 100,000), or `false` to turn it off. */
  rateLimit?: false | { dailyAllocation?: number };
}

export type SalesforceEmulatorControl = OAuthEmulatorControl;

export function salesforceEmulator(
  options: SalesforceEmulatorOptions = {},
): PlatformEmulator<SalesforceEmulatorControl> {
  const resolved = resolveEmulatorOptions(options, { apiVersion: 'v68.0' });
  const { records: count, apiVersion: version, now, counters, limits } = resolved;
  const batchSize = options.batchSize ?? 2000;
  const prefix = `/services/data/${version}`;
  const allocation = new SlidingWindow({ limit: limits.dailyAllocation ?? 100_000, windowMs: 86_400_000, now });
  const tokens = oauthTokenIssuer(now, options, TOKEN_DEFAULTS);
  const idFor = (type: string, i: number) => `${OBJECTS[type]?.prefix}${String(i).padStart(12, '0')}AAA`;
  const store = new Map<string, Row[]>(
    Object.entries(OBJECTS).map(([type, def]) => [
      type,
      Array.from({ length: count }, (_, n) => {
        const i = n + 1;
        const id = idFor(type, i);
        const at = sfDate(seededDate(i).getTime());
        const record: Row = {
          attributes: { type, url: `${prefix}/sobjects/${type}/${id}` },
          Id: id,
          OwnerId: OWNER,
          IsDeleted: false,
          ...def.seed(i),
          CreatedDate: at,
          LastModifiedDate: at,
          SystemModstamp: at,
        };
        derive(type, record);
        return record;
      }),
    ]),
  );
  let nextNumber = 900_000;
  const cursors = new Map<string, { rows: Row[]; offset: number }>();
  const errors = (status: number, errorCode: string, message: string, fields?: string[]): EmulatorResponse => ({
    status,
    body: [{ message, errorCode, ...(fields ? { fields } : {}) }],
  });

  const responses = {
    rateLimited: () => errors(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'),
    serverError: (status: number) =>
      errors(status, status === 503 ? 'SERVER_UNAVAILABLE' : 'UNKNOWN_EXCEPTION', 'An unexpected error occurred.'),
    tokenExpired: () => errors(401, 'INVALID_SESSION_ID', 'Session expired or invalid'),
  };

  const control: SalesforceEmulatorControl = {
    ...emulatorControl('salesforce', resolved, { store, resetRateLimits: () => allocation.reset(), responses }),
    ...oauthControl(tokens, '/services/oauth2/token'),
  };

  const tokenRoute = oauthTokenRoute({
    tokens,
    counters,
    paths: [control.tokenPath],
    grants: ['authorization_code', 'refresh_token'],
    methodNotAllowed: () => ({ status: 405, body: { error: 'invalid_request' } }),
    refused: (refusal, { grant }) => ({
      status: 400,
      body: {
        error: refusal.error === 'unsupported_grant_type' ? 'invalid_grant' : refusal.error,
        error_description:
          refusal.error === 'invalid_client'
            ? 'invalid client credentials'
            : grant === 'refresh_token'
              ? 'expired access/refresh token'
              : 'authentication failure',
      },
    }),
    issued: (issued, { request }) => {
      const origin = request.url.origin;
      const body: Row = {
        access_token: issued.accessToken,
        signature: Buffer.from(issued.accessToken).toString('base64'),
        scope: 'api refresh_token',
        instance_url: origin,
        id: `${origin}/id/00D000000000001AAA/${OWNER}`,
        token_type: 'Bearer',
        issued_at: String(now()),
      };
      if (issued.refreshTokenRotated) body.refresh_token = issued.refreshToken;
      return { status: 200, body };
    },
  });

  const project = (type: string, record: Row, fields: string[]): Row => {
    const out: Row = { attributes: { type, url: `${prefix}/sobjects/${type}/${record.Id}` } };
    for (const field of fields) out[field] = record[field] ?? null;
    return out;
  };

  const page = (rows: Row[], offset: number): EmulatorResponse => {
    const records = rows.slice(offset, offset + batchSize);
    const done = offset + batchSize >= rows.length;
    const body: Row = { totalSize: rows.length, done, records };
    if (!done) {
      const locator = `01gEMU${String(cursors.size + 1).padStart(12, '0')}-${offset + batchSize}`;
      cursors.set(locator, { rows, offset: offset + batchSize });
      body.nextRecordsUrl = `${prefix}/query/${locator}`;
    }
    return { status: 200, body };
  };

  const query = (soql: string, includeDeleted: boolean): EmulatorResponse => {
    let parsed: Soql;
    try {
      parsed = parseSoql(soql);
    } catch (error) {
      const e = error as SoqlError;
      return errors(400, e.errorCode, e.message);
    }
    const def = OBJECTS[parsed.object];
    const rows = store.get(parsed.object);
    if (!def || !rows) {
      return errors(
        400,
        'INVALID_TYPE',
        `sObject type '${parsed.object}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name.`,
      );
    }
    const referenced = [
      ...parsed.fields,
      ...parsed.where.map((c) => c.field),
      ...(parsed.orderBy ? [parsed.orderBy.field] : []),
    ];
    const unknown = referenced.find((f) => !def.fields.includes(f));
    if (unknown) {
      return errors(
        400,
        'INVALID_FIELD',
        `No such column '${unknown}' on entity '${parsed.object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`,
      );
    }
    let matching = rows.filter((r) => includeDeleted || !r.IsDeleted);
    for (const { field, op, value } of parsed.where) {
      const isDateTime = value !== null && typeof value === 'object' && 'dateTime' in value;
      if (isDateTime && !['CreatedDate', 'LastModifiedDate', 'SystemModstamp'].includes(field)) {
        return errors(400, 'INVALID_FIELD', `value of filter criterion for field '${field}' must be of type ${field}`);
      }
      matching = matching.filter((r) => {
        const left = isDateTime ? parseSfDate(r[field]) : r[field];
        const right = isDateTime ? (value as { dateTime: number }).dateTime : value;
        const c = compare(left, right);
        return op === '='
          ? c === 0
          : op === '!='
            ? c !== 0
            : op === '<'
              ? c < 0
              : op === '<='
                ? c <= 0
                : op === '>'
                  ? c > 0
                  : c >= 0;
      });
    }
    if (parsed.orderBy) {
      const { field, descending } = parsed.orderBy;
      matching = [...matching].sort((a, b) => (descending ? -1 : 1) * compare(a[field], b[field]));
    }
    if (parsed.limit !== undefined) matching = matching.slice(0, parsed.limit);
    return page(
      matching.map((r) => project(parsed.object, r, parsed.fields)),
      0,
    );
  };

  const checkFields = (type: string, fields: unknown, creating: boolean): EmulatorResponse | undefined => {
    const def = OBJECTS[type] as SObject;
    if (!fields || typeof fields !== 'object' || Array.isArray(fields)) {
      return errors(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object of field values.');
    }
    const names = Object.keys(fields);
    const unknown = names.find((n) => !def.fields.includes(n) && n !== 'attributes');
    if (unknown) return errors(400, 'INVALID_FIELD', `No such column '${unknown}' on sobject of type ${type}`);
    const locked = names.filter((n) =>
      ['Id', 'IsDeleted', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp', ...def.readOnly].includes(n),
    );
    if (locked.length > 0) {
      return errors(
        400,
        'INVALID_FIELD_FOR_INSERT_UPDATE',
        `Unable to create/update fields: ${locked.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
        locked,
      );
    }
    const values = fields as Row;
    const missing = def.required.filter((n) =>
      creating
        ? values[n] === undefined || values[n] === null || values[n] === ''
        : n in values && (values[n] === null || values[n] === ''),
    );
    if (missing.length > 0) {
      return errors(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing);
    }
    return undefined;
  };

  const api = (request: EmulatorRequest): EmulatorResponse => {
    const path = request.url.pathname;
    if (request.bodyError !== undefined) return errors(400, 'JSON_PARSER_ERROR', request.bodyError);
    if (path === `${prefix}/limits` && request.method === 'GET') {
      const used = allocation.peek().used;
      return {
        status: 200,
        body: { DailyApiRequests: { Max: allocation.limit, Remaining: Math.max(0, allocation.limit - used) } },
      };
    }
    if ((path === `${prefix}/query` || path === `${prefix}/queryAll`) && request.method === 'GET') {
      return query(request.url.searchParams.get('q') ?? '', path.endsWith('queryAll'));
    }
    const more = /^\/services\/data\/[^/]+\/query(?:All)?\/([^/]+)$/.exec(path);
    if (more && request.method === 'GET') {
      const cursor = cursors.get(more[1] as string);
      return cursor ? page(cursor.rows, cursor.offset) : errors(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    }
    const sobject = new RegExp(`^${prefix.replace(/\./g, '\\.')}/sobjects/([A-Za-z]+)(?:/([A-Za-z0-9]+))?$`).exec(path);
    const type = sobject?.[1];
    const rows = type ? store.get(type) : undefined;
    if (!sobject || !type || !rows) {
      return errors(404, 'NOT_FOUND', 'The requested resource does not exist');
    }
    const id = sobject[2];
    const at = sfDate(now());
    if (!id) {
      if (request.method !== 'POST')
        return errors(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${request.method}' not allowed. Allowed are GET,POST`);
      const problem = checkFields(type, request.body, true);
      if (problem) return problem;
      nextNumber += 1;
      const newId = idFor(type, nextNumber);
      const { attributes: _ignored, ...values } = request.body as Row;
      const record: Row = {
        attributes: { type, url: `${prefix}/sobjects/${type}/${newId}` },
        Id: newId,
        OwnerId: OWNER,
        IsDeleted: false,
        ...values,
        CreatedDate: at,
        LastModifiedDate: at,
        SystemModstamp: at,
      };
      if (type === 'Lead') record.Status ??= 'Open - Not Contacted';
      derive(type, record);
      rows.push(record);
      return { status: 201, body: { id: newId, success: true, errors: [] } };
    }
    const found = rows.find((r) => r.Id === id);
    if (!found) return errors(404, 'NOT_FOUND', 'The requested resource does not exist');
    if (found.IsDeleted) return errors(404, 'ENTITY_IS_DELETED', 'entity is deleted', []);
    if (request.method === 'GET') {
      const fields = request.url.searchParams.get('fields')?.split(',');
      return { status: 200, body: fields ? project(type, found, fields) : found };
    }
    if (request.method === 'PATCH') {
      const problem = checkFields(type, request.body, false);
      if (problem) return problem;
      const { attributes: _ignored, ...values } = request.body as Row;
      Object.assign(found, values, { LastModifiedDate: at, SystemModstamp: at });
      derive(type, found);
      return { status: 204 };
    }
    if (request.method === 'DELETE') {
      Object.assign(found, { IsDeleted: true, LastModifiedDate: at, SystemModstamp: at });
      return { status: 204 };
    }
    return errors(
      405,
      'METHOD_NOT_ALLOWED',
      `HTTP Method '${request.method}' not allowed. Allowed are GET,PATCH,DELETE`,
    );
  };

  return platformEmulator((request) => {
    counters.requests += 1;
    const requestId = { 'x-request-id': randomUUID() };
    const tokenAnswer = tokenRoute(request);
    if (tokenAnswer) return tokenAnswer;
    if (tokens.check(bearerToken(request)).state !== 'valid')
      return { ...responses.tokenExpired(), headers: requestId };
    let used = 0;
    if (control.rateLimitEnabled) {
      const decision = allocation.take();
      if (!decision.allowed) {
        counters.rateLimited += 1;
        return {
          ...responses.rateLimited(),
          headers: { ...requestId, 'sforce-limit-info': `api-usage=${decision.used}/${allocation.limit}` },
        };
      }
      used = decision.used;
    }
    const response = api(request);
    return {
      ...response,
      headers: { ...requestId, 'sforce-limit-info': `api-usage=${used}/${allocation.limit}`, ...response.headers },
    };
  }, control);
}
