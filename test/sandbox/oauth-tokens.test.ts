import { createHash } from 'node:crypto';
import { getAdapterRegistry } from 'engarde';
import type { TokenSet } from 'engarde/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import {
  googleAdsEmulator,
  hubspotEmulator,
  type ManualClock,
  manualClock,
  metaAdsEmulator,
  type OAuthEmulatorControl,
  type PlatformEmulator,
  type RunningEmulator,
  salesforceEmulator,
  shopifyEmulator,
  startEmulator,
  TEST_AUTHORIZATION_CODE,
} from '../../src/sandbox/index.js';
import { adapterFor } from './adapter-setup.js';
import { call, type RawResponse } from './http-helpers.js';

type Body = Record<string, unknown>;

interface OAuthCase {
  make(clock: ManualClock): PlatformEmulator<OAuthEmulatorControl>;
  /** An authenticated API call with `token`. */
  probe(origin: string, token: string): Promise<RawResponse>;
  /** The platform's answer to an expired access token. */
  expired(response: RawResponse): void;
  /** Documented access-token lifetime, seconds. */
  lifetime: number;
  /** Whether a refresh replaces the refresh token. */
  rotates: boolean | 'no-refresh';
  /** Whether the code exchange checks PKCE. */
  pkce: boolean;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const cases: Record<string, OAuthCase> = {
  shopify: {
    make: (clock) => shopifyEmulator({ now: clock.now }),
    probe: (origin, token) =>
      call(origin, '/admin/api/2026-10/shop.json', { headers: { 'x-shopify-access-token': token } }),
    expired: (r) => {
      expect(r.status).toBe(401);
      expect(r.body).toEqual({
        errors: '[API] Invalid API key or access token (unrecognized login or wrong password)',
      });
    },
    lifetime: 3600,
    rotates: true,
    pkce: false,
  },
  hubspot: {
    make: (clock) => hubspotEmulator({ now: clock.now }),
    probe: (origin, token) => call(origin, '/crm/objects/2026-09/contacts?limit=1', { headers: bearer(token) }),
    expired: (r) => {
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ status: 'error', category: 'EXPIRED_AUTHENTICATION' });
      expect((r.body as Body).message).toMatch(
        /^The OAuth token used to make this call expired \d+ minute\(s\) ago\.$/,
      );
    },
    lifetime: 1800,
    rotates: false,
    pkce: true,
  },
  salesforce: {
    make: (clock) => salesforceEmulator({ now: clock.now, batchSize: 5 }),
    probe: (origin, token) => call(origin, '/services/data/v68.0/limits', { headers: bearer(token) }),
    expired: (r) => {
      expect(r.status).toBe(401);
      expect(r.body).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    },
    lifetime: 7200,
    rotates: false,
    pkce: true,
  },
  'google-ads': {
    make: (clock) => googleAdsEmulator({ now: clock.now, pageSize: 5 }),
    probe: (origin, token) => call(origin, '/v26/customers:listAccessibleCustomers', { headers: bearer(token) }),
    expired: (r) => {
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    },
    lifetime: 3599,
    rotates: false,
    pkce: true,
  },
  'meta-ads': {
    make: (clock) => metaAdsEmulator({ now: clock.now }),
    probe: (origin, token) => call(origin, '/v26.0/me', { headers: bearer(token) }),
    expired: (r) => {
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ error: { type: 'OAuthException', code: 190, error_subcode: 463 } });
      expect(r.headers['www-authenticate']).toMatch(/^OAuth "Facebook Platform" "invalid_token"/);
    },
    lifetime: 5_184_000,
    rotates: 'no-refresh',
    pkce: false,
  },
};

const refreshable = Object.entries(cases).filter(([, c]) => c.rotates !== 'no-refresh');

function tokenRequest(control: OAuthEmulatorControl, form: Record<string, string>) {
  return {
    method: 'POST',
    form: { client_id: control.tokens.clientId, client_secret: control.tokens.clientSecret, ...form },
  };
}

describe('OAuth tokens: expiry, refresh, rotation, PKCE', () => {
  let running: RunningEmulator | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  const start = async (c: OAuthCase) => {
    const clock = manualClock();
    const emulator = c.make(clock);
    running = await startEmulator(emulator);
    return { clock, control: emulator.control, origin: running.origin };
  };

  it.each(Object.entries(cases))(
    "%s: expireTokens() makes the next call get the platform's expired-token answer",
    async (_, c) => {
      const { control, origin } = await start(c);
      const token = control.tokens.current.accessToken;
      expect((await c.probe(origin, token)).status).toBe(200);
      control.expireTokens();
      c.expired(await c.probe(origin, token));
    },
  );

  it.each(Object.entries(cases))('%s: access tokens expire after the documented lifetime', async (_, c) => {
    const { clock, control, origin } = await start(c);
    const token = control.tokens.current.accessToken;
    clock.advance(c.lifetime * 1000 - 1);
    expect((await c.probe(origin, token)).status).toBe(200);
    clock.advance(1);
    c.expired(await c.probe(origin, token));
  });

  it.each(refreshable)('%s: refresh_token issues a working access token, rotating as documented', async (_, c) => {
    const { control, origin } = await start(c);
    const before = control.tokens.current;
    control.expireTokens();
    const answer = await call(
      origin,
      control.tokenPath,
      tokenRequest(control, { grant_type: 'refresh_token', refresh_token: before.refreshToken }),
    );
    expect(answer.status).toBe(200);
    const body = answer.body as Body;
    expect(body.access_token).not.toBe(before.accessToken);
    expect((await c.probe(origin, body.access_token as string)).status).toBe(200);
    expect(control.counters.tokenRequests).toBe(1);

    const reuse = await call(
      origin,
      control.tokenPath,
      tokenRequest(control, { grant_type: 'refresh_token', refresh_token: before.refreshToken }),
    );
    if (c.rotates) {
      expect(body.refresh_token).toBeTypeOf('string');
      expect(body.refresh_token).not.toBe(before.refreshToken);
      expect(reuse.status).toBe(400); // the old refresh token is spent
    } else {
      expect(body.refresh_token ?? before.refreshToken).toBe(before.refreshToken);
      expect(reuse.status).toBe(200);
    }
  });

  it.each(refreshable)('%s: an unknown refresh token or client secret is refused', async (_, c) => {
    const { control, origin } = await start(c);
    const badToken = await call(
      origin,
      control.tokenPath,
      tokenRequest(control, { grant_type: 'refresh_token', refresh_token: 'nope' }),
    );
    expect(badToken.status).toBe(400);
    const badClient = await call(
      origin,
      control.tokenPath,
      tokenRequest(control, {
        grant_type: 'refresh_token',
        refresh_token: control.tokens.current.refreshToken,
        client_secret: 'wrong',
      }),
    );
    expect([400, 401]).toContain(badClient.status);
    expect(control.counters.tokenRequests).toBe(2);
  });

  it.each(Object.entries(cases).filter(([, c]) => c.pkce))(
    '%s: authorization_code checks the PKCE verifier against the registered challenge',
    async (_, c) => {
      const { control, origin } = await start(c);
      const verifier = 'a-verifier-long-enough-to-be-a-real-pkce-code-verifier-0123456789';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const code = control.tokens.registerCodeChallenge(challenge, 'S256');
      expect(code).toBe(TEST_AUTHORIZATION_CODE);
      const form = { grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1/callback' };
      const wrong = await call(origin, control.tokenPath, tokenRequest(control, { ...form, code_verifier: 'wrong' }));
      expect(wrong.status).toBe(400);
      const right = await call(origin, control.tokenPath, tokenRequest(control, { ...form, code_verifier: verifier }));
      expect(right.status).toBe(200);
      expect((await c.probe(origin, (right.body as Body).access_token as string)).status).toBe(200);
    },
  );

  it('shopify: the code exchange answers an expiring offline token with a refresh token', async () => {
    const { control, origin } = await start(cases.shopify!);
    const answer = await call(origin, control.tokenPath, {
      method: 'POST',
      json: {
        client_id: control.tokens.clientId,
        client_secret: control.tokens.clientSecret,
        code: TEST_AUTHORIZATION_CODE,
      },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ expires_in: 3600, refresh_token_expires_in: 7_776_000 });
    expect(Object.keys(answer.body as Body)).toEqual(
      expect.arrayContaining(['access_token', 'scope', 'refresh_token']),
    );
  });

  it('meta-ads: there are no refresh tokens; fb_exchange_token issues a long-lived token', async () => {
    const { control, origin } = await start(cases['meta-ads']!);
    const refresh = await call(
      origin,
      control.tokenPath,
      tokenRequest(control, { grant_type: 'refresh_token', refresh_token: 'x' }),
    );
    expect(refresh.status).toBe(400);
    expect(refresh.body).toMatchObject({ error: { type: 'OAuthException' } });
    const exchange = await call(
      origin,
      `${control.tokenPath}?${new URLSearchParams({
        grant_type: 'fb_exchange_token',
        client_id: control.tokens.clientId,
        client_secret: control.tokens.clientSecret,
        fb_exchange_token: control.tokens.current.accessToken,
      })}`,
    );
    expect(exchange.status).toBe(200);
    expect(exchange.body).toMatchObject({ token_type: 'bearer', expires_in: 5_184_000 });
  });

  it.each(refreshable)(
    '%s: the adapter refreshes once after its token expires mid-run and keeps listing',
    async (platform, c) => {
      const { clock, control } = await start(c);
      const info = getAdapterRegistry().info(platform)!;
      const rotated: TokenSet[] = [];
      const adapter = await adapterFor(platform, running!, clock, {
        onTokens: (tokens) => {
          rotated.push(tokens);
        },
      });
      try {
        const entity = info.entities[0]!;
        let count = 0;
        for await (const _ of adapter.list(entity as never, { pageSize: 5 })) {
          count++;
          if (count === 3) control.expireTokens();
        }
        expect(count).toBe(25); // every seeded record, the expiry notwithstanding
        expect(control.counters.tokenRequests).toBe(1);
        expect(rotated).toHaveLength(1);
        expect(rotated[0]!.accessToken).toBe(control.tokens.current.accessToken);
        if (c.rotates) expect(rotated[0]!.refreshToken).toBe(control.tokens.current.refreshToken);
      } finally {
        await adapter.close();
      }
    },
  );
});
