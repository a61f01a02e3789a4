/**
 * Salesforce REST API query resource, as https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta describes
 * it: bearer session (OAuth access token), `GET /services/data/<version>/query?q=<SOQL>` answering `{ totalSize, done,
 * records, nextRecordsUrl }` with each record carrying `attributes { type, url }`, following pages through
 * `nextRecordsUrl` (relative to the instance), `INVALID_SESSION_ID` errors as an array, and `Sforce-Limit-Info`.
 * The SOQL understood here is what an adapter sends: `SELECT <fields> FROM <object> [WHERE SystemModstamp > <ts>]
 * [ORDER BY …]`.
 */
import { bearerToken, type EmulatorHandler, seededDate } from '../emulator-server.js';

const OBJECTS: Record<string, (i: number) => Record<string, unknown>> = {
  Contact: (i) => ({ FirstName: 'Contact', LastName: `${i}`, Email: `contact${i}@example.com`, AccountId: null }),
  Account: (i) => ({ Name: `Account ${i}`, Industry: 'Technology', Website: `https://account${i}.example.com` }),
  Opportunity: (i) => ({
    Name: `Opportunity ${i}`,
    StageName: 'Prospecting',
    Amount: 1000 + i,
    CloseDate: '2026-12-31',
  }),
  Lead: (i) => ({
    FirstName: 'Lead',
    LastName: `${i}`,
    Company: `Lead Co ${i}`,
    Email: `lead${i}@example.com`,
    Status: 'Open - Not Contacted',
  }),
};
const ID_PREFIX: Record<string, string> = { Contact: '003', Account: '001', Opportunity: '006', Lead: '00Q' };

export interface SalesforceEmulatorOptions {
  accessToken?: string;
  records?: number;
  apiVersion?: string;
  /** Records per query batch (Salesforce defaults to 2,000; small values exercise paging). */
  batchSize?: number;
}

export function salesforceEmulator(options: SalesforceEmulatorOptions = {}): EmulatorHandler {
  const token = options.accessToken ?? '00Demulator!token';
  const count = options.records ?? 25;
  const version = options.apiVersion ?? 'v68.0';
  const batchSize = options.batchSize ?? 2000;
  const prefix = `/services/data/${version}`;
  const store = new Map(
    Object.entries(OBJECTS).map(([type, make]) => [
      type,
      Array.from({ length: count }, (_, n) => {
        const i = n + 1;
        const id = `${ID_PREFIX[type]}${String(i).padStart(12, '0')}AAA`;
        const at = seededDate(i).toISOString().replace('Z', '+0000');
        return {
          attributes: { type, url: `${prefix}/sobjects/${type}/${id}` },
          Id: id,
          ...make(i),
          CreatedDate: at,
          LastModifiedDate: at,
          SystemModstamp: at,
        };
      }),
    ]),
  );
  const cursors = new Map<string, { rows: Record<string, unknown>[]; offset: number }>();
  const limitInfo = { 'sforce-limit-info': 'api-usage=1/100000' };

  const page = (rows: Record<string, unknown>[], offset: number) => {
    const records = rows.slice(offset, offset + batchSize);
    const done = offset + batchSize >= rows.length;
    const body: Record<string, unknown> = { totalSize: rows.length, done, records };
    if (!done) {
      const locator = `01gEMU${String(cursors.size + 1).padStart(6, '0')}-${offset + batchSize}`;
      cursors.set(locator, { rows, offset: offset + batchSize });
      body.nextRecordsUrl = `${prefix}/query/${locator}`;
    }
    return { status: 200, headers: limitInfo, body };
  };

  return (request) => {
    if (bearerToken(request) !== token) {
      return { status: 401, body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }] };
    }
    const path = request.url.pathname;
    if (path === `${prefix}/limits`) {
      return { status: 200, headers: limitInfo, body: { DailyApiRequests: { Max: 100000, Remaining: 99999 } } };
    }
    if (path === `${prefix}/query`) {
      const soql = request.url.searchParams.get('q') ?? '';
      const from = /\bFROM\s+([A-Za-z]+)/i.exec(soql)?.[1];
      const rows = from ? store.get(from) : undefined;
      if (!rows)
        return {
          status: 400,
          body: [{ message: `sObject type '${from}' is not supported.`, errorCode: 'INVALID_TYPE' }],
        };
      const where = /\bWHERE\s+SystemModstamp\s*(>=|>)\s*(\S+)/i.exec(soql);
      const since = where?.[2];
      if (since && Number.isNaN(Date.parse(since))) {
        return {
          status: 400,
          body: [
            {
              message: `value of filter criterion for field 'SystemModstamp' must be of type dateTime`,
              errorCode: 'INVALID_FIELD',
            },
          ],
        };
      }
      const stamp = (r: Record<string, unknown>) => Date.parse(String(r.SystemModstamp).replace('+0000', 'Z'));
      const filtered = since
        ? rows.filter((r) => (where?.[1] === '>=' ? stamp(r) >= Date.parse(since) : stamp(r) > Date.parse(since)))
        : rows;
      return page(filtered, 0);
    }
    const more = path.startsWith(`${prefix}/query/`) ? cursors.get(path.slice(`${prefix}/query/`.length)) : undefined;
    if (more) return page(more.rows, more.offset);
    const sobject = new RegExp(`^${prefix}/sobjects/([A-Za-z]+)/([A-Za-z0-9]+)$`).exec(path);
    if (sobject && request.method === 'GET') {
      const found = store.get(sobject[1]!)?.find((r) => r.Id === sobject[2]);
      if (found) return { status: 200, headers: limitInfo, body: found };
    }
    return { status: 404, body: [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }] };
  };
}
