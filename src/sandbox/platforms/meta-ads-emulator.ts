/**
 * Meta Marketing API (Graph API), as https://developers.facebook.com/docs/graph-api and the Marketing API reference
 * describe it: a user access token as `access_token` or a bearer header, ad-account edges at
 * `/<version>/act_<ad account id>/{campaigns,adsets,ads,insights}` returning `{ data, paging: { cursors: { before,
 * after }, next } }` (no `next` on the last page), `limit` and `after` cursors, and `OAuthException` code 190 for a
 * bad token.
 */
import { bearerToken, type EmulatorHandler, type EmulatorRequest, seededDate } from '../emulator-server.js';

const EDGES: Record<string, (i: number) => Record<string, unknown>> = {
  campaigns: (i) => ({
    id: `1202${String(i).padStart(11, '0')}`,
    name: `Campaign ${i}`,
    status: 'ACTIVE',
    objective: 'OUTCOME_TRAFFIC',
  }),
  adsets: (i) => ({
    id: `1203${String(i).padStart(11, '0')}`,
    name: `Ad set ${i}`,
    status: 'ACTIVE',
    campaign_id: `1202${String(i).padStart(11, '0')}`,
    daily_budget: '1000',
  }),
  ads: (i) => ({
    id: `1204${String(i).padStart(11, '0')}`,
    name: `Ad ${i}`,
    status: 'ACTIVE',
    adset_id: `1203${String(i).padStart(11, '0')}`,
  }),
  // Ad-level rows, as `level=ad` returns them.
  insights: (i) => ({
    ad_id: `1204${String(i).padStart(11, '0')}`,
    adset_id: `1203${String(i).padStart(11, '0')}`,
    campaign_id: `1202${String(i).padStart(11, '0')}`,
    impressions: String(100 * i),
    clicks: String(i),
    spend: `${i}.00`,
    date_start: '2026-01-01',
    date_stop: '2026-01-01',
  }),
};

export interface MetaAdsEmulatorOptions {
  accessToken?: string;
  records?: number;
  apiVersion?: string;
  adAccountId?: string;
}

function tokenOf(request: EmulatorRequest): string | undefined {
  return request.url.searchParams.get('access_token') ?? bearerToken(request);
}

const cursor = (i: number) => Buffer.from(`cursor:${i}`).toString('base64url');
const position = (c: string) => Number(Buffer.from(c, 'base64url').toString('utf8').split(':')[1]);

export function metaAdsEmulator(options: MetaAdsEmulatorOptions = {}): EmulatorHandler {
  const token = options.accessToken ?? 'EAAemulator';
  const count = options.records ?? 25;
  const version = options.apiVersion ?? 'v26.0';
  const account = options.adAccountId ?? '1234567890';
  const store = new Map(
    Object.entries(EDGES).map(([edge, make]) => [
      edge,
      Array.from({ length: count }, (_, n) => {
        const at = seededDate(n + 1)
          .toISOString()
          .replace('.000Z', '+0000');
        return edge === 'insights' ? make(n + 1) : { ...make(n + 1), created_time: at, updated_time: at };
      }),
    ]),
  );
  return (request) => {
    if (tokenOf(request) !== token) {
      return {
        status: 400,
        body: {
          error: {
            message: 'Invalid OAuth access token - Cannot parse access token',
            type: 'OAuthException',
            code: 190,
            fbtrace_id: 'emulator',
          },
        },
      };
    }
    const path = request.url.pathname;
    if (path === `/${version}/me`) return { status: 200, body: { id: '10001', name: 'Emulator User' } };
    const node = new RegExp(`^/${version}/([0-9]+)$`).exec(path);
    if (node) {
      // A node read returns only `id` unless `fields` names more, as the Graph API does.
      const found = [...store.values()].flat().find((r) => r.id === node[1]);
      if (found) {
        const fields = request.url.searchParams.get('fields')?.split(',') ?? [];
        return {
          status: 200,
          body: Object.fromEntries(Object.entries(found).filter(([k]) => k === 'id' || fields.includes(k))),
        };
      }
    }
    const match = new RegExp(`^/${version}/act_([0-9]+)/([a-z]+)$`).exec(path);
    const rows = match && match[1] === account ? store.get(match[2]!) : undefined;
    if (!match || !rows) {
      return {
        status: 400,
        body: {
          error: {
            message: `Unsupported get request. Object with ID '${path}' does not exist`,
            type: 'GraphMethodException',
            code: 100,
            fbtrace_id: 'emulator',
          },
        },
      };
    }
    const q = request.url.searchParams;
    const limit = Number(q.get('limit') ?? 25);
    const start = q.has('after') ? position(q.get('after')!) : 0;
    const data = rows.slice(start, start + limit);
    const paging: Record<string, unknown> = { cursors: { before: cursor(start), after: cursor(start + data.length) } };
    if (start + limit < rows.length) {
      const next = new URL(request.url);
      next.searchParams.set('after', cursor(start + limit));
      paging.next = next.toString();
    }
    return {
      status: 200,
      headers: {
        'x-business-use-case-usage': JSON.stringify({
          [account]: [
            {
              type: 'ads_management',
              call_count: 1,
              total_cputime: 1,
              total_time: 1,
              estimated_time_to_regain_access: 0,
            },
          ],
        }),
      },
      body: { data, paging },
    };
  };
}
