/**
 * The shared emulator scaffolding: the OAuth token route every OAuth emulator serves (its contract on its own, then
 * once for every emulator through HTTP), and the common options every emulator resolves the same way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  EMULATED_PLATFORMS,
  type EmulatorControl,
  type EmulatorRequest,
  emulatedPlatformIds,
  manualClock,
  newCounters,
  type OAuthEmulatorControl,
  type OAuthTokenRouteOptions,
  oauthTokenRoute,
  type RunningEmulator,
  startEmulator,
  TEST_AUTHORIZATION_CODE,
  TokenIssuer,
} from '../../src/sandbox/index.js';
import { call } from './http-helpers.js';

const CLIENT = { client_id: 'client', client_secret: 'secret' };

function issuer(): TokenIssuer {
  return new TokenIssuer({
    now: () => 0,
    clientId: 'client',
    clientSecret: 'secret',
    accessToken: 'a0',
    refreshToken: 'r0',
    accessTokenLifetimeSeconds: 60,
    rotateRefreshTokens: false,
  });
}

function request(method: string, path: string, fields: Record<string, string>, inQuery = false): EmulatorRequest {
  const url = new URL(path, 'http://127.0.0.1');
  if (inQuery) for (const [k, v] of Object.entries(fields)) url.searchParams.set(k, v);
  return { method, url, headers: {}, body: inQuery ? undefined : fields, rawBody: '', sequence: 1 };
}

type RouteCase = [
  string,
  {
    given: { options?: Partial<OAuthTokenRouteOptions>; request: EmulatorRequest };
    want: { answer: 'none' | 'issued' | 'method' | string; tokenRequests: number };
  },
];

/** `issued` answers 200 with the grant; `refused` answers 400 with the refusal's error; 405 for another method. */
const routeCases: RouteCase[] = [
  [
    'a request to another path is not the route’s, and is not counted',
    {
      given: { request: request('POST', '/other', { grant_type: 'refresh_token' }) },
      want: { answer: 'none', tokenRequests: 0 },
    },
  ],
  [
    'the refresh grant issues tokens',
    {
      given: { request: request('POST', '/token', { ...CLIENT, grant_type: 'refresh_token', refresh_token: 'r0' }) },
      want: { answer: 'issued', tokenRequests: 1 },
    },
  ],
  [
    'the code exchange issues tokens',
    {
      given: {
        request: request('POST', '/token', {
          ...CLIENT,
          grant_type: 'authorization_code',
          code: TEST_AUTHORIZATION_CODE,
        }),
      },
      want: { answer: 'issued', tokenRequests: 1 },
    },
  ],
  [
    'a wrong client secret is refused as invalid_client',
    {
      given: {
        request: request('POST', '/token', {
          ...CLIENT,
          client_secret: 'x',
          grant_type: 'refresh_token',
          refresh_token: 'r0',
        }),
      },
      want: { answer: 'invalid_client', tokenRequests: 1 },
    },
  ],
  [
    'an unknown refresh token is refused as invalid_grant',
    {
      given: { request: request('POST', '/token', { ...CLIENT, grant_type: 'refresh_token', refresh_token: 'nope' }) },
      want: { answer: 'invalid_grant', tokenRequests: 1 },
    },
  ],
  [
    'a grant the platform does not support is refused as unsupported_grant_type',
    {
      given: { request: request('POST', '/token', { ...CLIENT, grant_type: 'password' }) },
      want: { answer: 'unsupported_grant_type', tokenRequests: 1 },
    },
  ],
  [
    'a request naming no grant is refused unless grantOf assumes one',
    {
      given: { request: request('POST', '/token', { ...CLIENT }) },
      want: { answer: 'unsupported_grant_type', tokenRequests: 1 },
    },
  ],
  [
    'grantOf decides the grant (Shopify and Meta assume the code exchange)',
    {
      given: {
        options: { grantOf: (f) => f.grant_type ?? 'authorization_code' },
        request: request('POST', '/token', { ...CLIENT, code: TEST_AUTHORIZATION_CODE }),
      },
      want: { answer: 'issued', tokenRequests: 1 },
    },
  ],
  [
    'an alias path is served like the first',
    {
      given: {
        request: request('POST', '/legacy/token', { ...CLIENT, grant_type: 'refresh_token', refresh_token: 'r0' }),
      },
      want: { answer: 'issued', tokenRequests: 1 },
    },
  ],
  [
    'another method gets the platform’s answer, and is counted',
    { given: { request: request('GET', '/token', {}) }, want: { answer: 'method', tokenRequests: 1 } },
  ],
  [
    'without methodNotAllowed a GET with its fields in the query is served (Meta)',
    {
      given: {
        options: { methodNotAllowed: undefined },
        request: request('GET', '/token', { ...CLIENT, grant_type: 'refresh_token', refresh_token: 'r0' }, true),
      },
      want: { answer: 'issued', tokenRequests: 1 },
    },
  ],
  [
    'fb_exchange_token trades a valid access token for a new one',
    {
      given: {
        options: { grants: ['fb_exchange_token'] },
        request: request('POST', '/token', { ...CLIENT, grant_type: 'fb_exchange_token', fb_exchange_token: 'a0' }),
      },
      want: { answer: 'issued', tokenRequests: 1 },
    },
  ],
];

describe('oauthTokenRoute', () => {
  it.each(routeCases)('%s', (_, { given, want }) => {
    const counters = newCounters();
    const route = oauthTokenRoute({
      tokens: issuer(),
      counters,
      paths: ['/token', '/legacy/token'],
      grants: ['authorization_code', 'refresh_token'],
      methodNotAllowed: () => ({ status: 405 }),
      issued: (tokens, { grant }) => ({ status: 200, body: { grant, access_token: tokens.accessToken } }),
      refused: (refusal) => ({ status: 400, body: { error: refusal.error } }),
      ...given.options,
    });
    const answer = route(given.request);
    expect(counters.tokenRequests).toBe(want.tokenRequests);
    if (want.answer === 'none') expect(answer).toBeUndefined();
    else if (want.answer === 'method') expect(answer).toEqual({ status: 405 });
    else if (want.answer === 'issued') expect(answer).toMatchObject({ status: 200, body: { access_token: 'a0-2' } });
    else expect(answer).toEqual({ status: 400, body: { error: want.answer } });
  });

  it('the code exchange checks PKCE unless the platform takes no verifier', () => {
    const verify = (pkce: boolean) => {
      const tokens = issuer();
      tokens.registerCodeChallenge('a-verifier-that-is-plain', 'plain');
      const route = oauthTokenRoute({
        tokens,
        counters: newCounters(),
        paths: ['/token'],
        grants: ['authorization_code'],
        pkce,
        issued: () => ({ status: 200 }),
        refused: (r) => ({ status: 400, body: r }),
      });
      const fields = { ...CLIENT, grant_type: 'authorization_code', code: TEST_AUTHORIZATION_CODE };
      return route(request('POST', '/token', { ...fields, code_verifier: 'a-verifier-that-is-plain' }))?.status;
    };
    expect(verify(true)).toBe(200);
    expect(verify(false)).toBe(400); // the verifier is not passed on, and the registered challenge needs one
  });
});

const oauthIds = emulatedPlatformIds().filter((id) => 'tokens' in EMULATED_PLATFORMS[id]!.create({}).control);

describe('every OAuth emulator serves the shared token route', () => {
  let running: RunningEmulator | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  const start = async (id: string) => {
    const emulator = EMULATED_PLATFORMS[id]!.create({ rateLimit: false });
    running = await startEmulator(emulator);
    const control = emulator.control as OAuthEmulatorControl;
    const client = { client_id: control.tokens.clientId, client_secret: control.tokens.clientSecret };
    const post = (form: Record<string, string>) => call(running!.origin, control.tokenPath, { method: 'POST', form });
    return { control, client, post };
  };

  it('the OAuth platforms are every emulated platform but Stripe (API keys)', () => {
    expect(oauthIds).toEqual(emulatedPlatformIds().filter((id) => id !== 'stripe'));
  });

  it.each(oauthIds)('%s: the code exchange issues an access token the emulator accepts, counted once', async (id) => {
    const { control, client, post } = await start(id);
    const answer = await post({ ...client, grant_type: 'authorization_code', code: TEST_AUTHORIZATION_CODE });
    expect(answer.status).toBe(200);
    const accessToken = (answer.body as { access_token: string }).access_token;
    expect(accessToken).not.toBe('');
    expect(control.tokens.check(accessToken)).toEqual({ state: 'valid' });
    expect(control.counters.tokenRequests).toBe(1);
  });

  it.each(oauthIds)('%s: a wrong client secret is refused and issues nothing', async (id) => {
    const { control, client, post } = await start(id);
    const before = control.tokens.current;
    const answer = await post({
      ...client,
      client_secret: 'wrong',
      grant_type: 'authorization_code',
      code: TEST_AUTHORIZATION_CODE,
    });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(control.tokens.current).toEqual(before);
  });

  it.each(oauthIds)('%s: a grant the platform does not support is refused and issues nothing', async (id) => {
    const { control, client, post } = await start(id);
    const before = control.tokens.current;
    const answer = await post({ ...client, grant_type: 'password', username: 'u', password: 'p' });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(control.tokens.current).toEqual(before);
    expect(control.counters.tokenRequests).toBe(1);
  });
});

describe('every emulator resolves the common options the same way', () => {
  it.each(emulatedPlatformIds())('%s: records, clock and rate-limit switch', (id) => {
    const clock = manualClock();
    const platform = EMULATED_PLATFORMS[id]!;
    const control: EmulatorControl = platform.create({ records: 3, now: clock.now, rateLimit: false }).control;
    expect(control.platform).toBe(id);
    expect(control.now).toBe(clock.now);
    expect(control.rateLimitEnabled).toBe(false);
    expect(control.records(control.collections()[0]!)).toHaveLength(3);
    expect(control.counters).toEqual({ requests: 0, tokenRequests: 0, rateLimited: 0 });

    const defaults = platform.create({}).control;
    expect(defaults.rateLimitEnabled).toBe(true);
    expect(defaults.records(defaults.collections()[0]!)).toHaveLength(25);
  });
});
