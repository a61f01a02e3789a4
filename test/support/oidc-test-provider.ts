/**
 * A real OAuth 2.0 authorization server on loopback for the OAuth flow tests: npm `oidc-provider` with its
 * development login and consent pages, PKCE required, refresh-token rotation and an adjustable access-token lifetime;
 * a small API that accepts the tokens it issued; and a browser stand-in (`fetch` with a cookie jar) that signs in and
 * consents (or declines) until the authorization server redirects to the client's redirect URI.
 *
 * @example
 * const as = await startTestAuthorizationServer({ clientId: 'engarde', clientSecret, redirectUri });
 * const back = await as.consent(authorizationUrl); // the redirect URI with code, state and iss
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestAuthorizationServerOptions {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export interface TestAuthorizationServer {
  /** `http://127.0.0.1:<port>`: the issuer, and the origin of every endpoint. */
  issuer: string;
  authorizationUrl: string;
  tokenUrl: string;
  revocationUrl: string;
  introspectionUrl: string;
  /** An API (`/users/me`, `/users`) that answers 200 for the access tokens the server issued and still honours. */
  apiUrl: string;
  /** Token-endpoint requests by `grant_type`, answered or refused. */
  grants: Record<string, number>;
  /** Lifetime of access tokens issued from now on, in seconds. */
  accessTokenTtl: number;
  /** A pause before the token endpoint answers, ms (widens races in concurrency tests). */
  tokenDelayMs: number;
  /** Bearer tokens the API accepted and refused. */
  api: { accepted: string[]; refused: string[] };
  /** Signs in as `login` and consents (or, with `deny`, declines); resolves with the redirect back to the client. */
  consent(authorizationUrl: string, options?: { deny?: boolean; login?: string }): Promise<URL>;
  /** RFC 7662 introspection, authenticated as the client. */
  introspect(token: string): Promise<{ active: boolean; [claim: string]: unknown }>;
  /** A refresh_token grant sent directly (not through EnGarde): the status and the OAuth error, if any. */
  refreshDirectly(refreshToken: string): Promise<{ status: number; error?: string }>;
  close(): Promise<void>;
}

export async function startTestAuthorizationServer(
  options: TestAuthorizationServerOptions,
): Promise<TestAuthorizationServer> {
  const { clientId, clientSecret, redirectUri } = options;
  const grants: Record<string, number> = {};
  const api = { accepted: [] as string[], refused: [] as string[] };
  const settings = { accessTokenTtl: 600, tokenDelayMs: 0 };

  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        application_type: 'native',
      },
    ],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
    },
    rotateRefreshToken: true,
    // A refresh token with every code (oidc-provider otherwise wants offline_access with prompt=consent).
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: () => settings.accessTokenTtl,
      AuthorizationCode: 60,
      Grant: 3_600,
      Interaction: 600,
      RefreshToken: 3_600,
      Session: 3_600,
    },
    cookies: { keys: ['oidc-test-provider-cookie-key'] },
    findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id }) }),
  });
  provider.use(async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === '/token' && settings.tokenDelayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, settings.tokenDelayMs));
    }
    await next();
    if (ctx.method === 'POST' && ctx.path === '/token') {
      const grantType = String(ctx.oidc?.params?.grant_type ?? 'unknown');
      grants[grantType] = (grants[grantType] ?? 0) + 1;
    }
  });
  const oidc = provider.callback();

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/api/')) {
      void serveApi(req, res);
      return;
    }
    oidc(req, res);
  });

  async function serveApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const token = bearer === '' ? undefined : await provider.AccessToken.find(bearer);
    if (!token || token.isExpired) {
      api.refused.push(bearer);
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 124, message: 'Invalid access token.' }));
      return;
    }
    api.accepted.push(bearer);
    const user = { id: token.accountId ?? 'user', email: `${token.accountId}@example.test`, type: 1, status: 'active' };
    const path = (req.url ?? '').split('?')[0];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(path === '/api/users' ? { users: [user], next_page_token: '' } : user));
  }

  const basic = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
  const postForm = (path: string, fields: Record<string, string>) =>
    fetch(`${issuer}${path}`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });

  return {
    issuer,
    authorizationUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    revocationUrl: `${issuer}/token/revocation`,
    introspectionUrl: `${issuer}/token/introspection`,
    apiUrl: `${issuer}/api`,
    grants,
    get accessTokenTtl() {
      return settings.accessTokenTtl;
    },
    set accessTokenTtl(seconds: number) {
      settings.accessTokenTtl = seconds;
    },
    get tokenDelayMs() {
      return settings.tokenDelayMs;
    },
    set tokenDelayMs(ms: number) {
      settings.tokenDelayMs = ms;
    },
    api,
    consent: (authorizationUrl, consentOptions = {}) => walkConsent(authorizationUrl, redirectUri, consentOptions),
    async introspect(token) {
      const res = await postForm('/token/introspection', { token });
      return (await res.json()) as { active: boolean };
    },
    async refreshDirectly(refreshToken) {
      const res = await postForm('/token', { grant_type: 'refresh_token', refresh_token: refreshToken });
      const body = (await res.json()) as { error?: string };
      return { status: res.status, ...(body.error ? { error: body.error } : {}) };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A browser with a cookie jar: follows redirects, fills the development login form, submits (or aborts) consent,
 * and stops at the first redirect to `redirectUri`.
 */
async function walkConsent(
  authorizationUrl: string,
  redirectUri: string,
  options: { deny?: boolean; login?: string },
): Promise<URL> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  const remember = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some(
        (a) =>
          /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1] ?? '') < Date.now()),
      );
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  };

  let next: { url: URL; init: RequestInit } = { url: new URL(authorizationUrl), init: { method: 'GET' } };
  for (let step = 0; step < 20; step++) {
    const res = await fetch(next.url, {
      ...next.init,
      redirect: 'manual',
      headers: { ...(next.init.headers as Record<string, string>), cookie: cookieHeader() },
    });
    remember(res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer();
      const target = new URL(location, next.url);
      if (target.toString().startsWith(redirectUri)) return target;
      next = { url: target, init: { method: 'GET' } };
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`authorization server answered ${res.status}: ${html.slice(0, 300)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`no form on ${next.url.pathname}: ${html.slice(0, 300)}`);
    const formUrl = new URL(action.replace(/&amp;/g, '&'), next.url);
    if (prompt === 'consent' && options.deny) {
      next = { url: new URL(`${formUrl.pathname}/abort`, formUrl), init: { method: 'GET' } };
      continue;
    }
    const fields: Record<string, string> =
      prompt === 'login' ? { prompt, login: options.login ?? 'user-1', password: 'any' } : { prompt };
    next = {
      url: formUrl,
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      },
    };
  }
  throw new Error('the authorization did not come back to the redirect URI within 20 steps');
}
