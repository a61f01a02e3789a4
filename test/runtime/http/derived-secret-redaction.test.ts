/**
 * Issue 7, item 2: values derived from credentials — a Basic `Authorization` value, access tokens obtained for a
 * Google service account or a client-credentials grant, signed headers — are redacted like the raw credentials, in
 * every way an error is shown: message, `String()`, JSON, `util.inspect`, causes and logs. The platform here is the
 * worst case: it echoes the request's credentials back in its error body, its message and a response header.
 */
import { generateKeyPairSync } from 'node:crypto';
import { inspect } from 'node:util';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { BaseAdapter, type PlatformMeta } from '../../../src/runtime/index.js';
import { json, type LoopbackServer, type RecordedRequest, startServer } from '../support/loopback-server.js';
import { makeMeta } from '../support/test-meta.js';

class EchoAdapter extends BaseAdapter<{ customers: { id: string } }> {}

const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

const servers: LoopbackServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A platform that answers every API call 400, repeating the credentials it was sent; and a token endpoint. */
async function echoingPlatform(status = 400): Promise<LoopbackServer> {
  const server = await startServer((req: RecordedRequest, res) => {
    if (req.path === '/token') {
      json(res, 200, { access_token: 'ya29.obtained-access-token-0123456789', token_type: 'Bearer', expires_in: 3600 });
      return;
    }
    const sent = String(req.headers.authorization ?? '');
    const credentialPart = sent.split(' ').slice(1).join(' ');
    json(
      res,
      status,
      {
        error: { message: `credentials ${sent} were refused`, received: { authorization: sent } },
        detail: `only the credential part: ${credentialPart}`,
        headers: req.headers,
      },
      { 'x-echo': sent.replace(/[^\x20-\x7e]/g, ''), 'x-echo-credentials': credentialPart },
    );
  });
  servers.push(server);
  return server;
}

interface Case {
  meta: PlatformMeta;
  /** The derived values, from the Authorization header as sent, that must appear nowhere. */
  hidden: (sent: string) => string[];
  credentials: Record<string, unknown>;
  connectionConfig?: Record<string, unknown>;
  oauthClient?: { clientId: string; clientSecret?: string; tokenUrl?: string };
}

const afterScheme = (sent: string) => [sent.slice(sent.indexOf(' ') + 1)];
const OBTAINED = 'ya29.obtained-access-token-0123456789';

const cases: Array<[string, (tokenUrl: string) => Case]> = [
  [
    'a Basic Authorization value (base64 of user:password)',
    () => ({
      meta: makeMeta({ auth: { kind: 'basic', usernameField: 'username', passwordField: 'password' } }),
      hidden: afterScheme,
      credentials: { username: 'ada', password: 'correct-horse-battery' },
    }),
  ],
  [
    'a Basic value from a template (Zendesk {email}/token)',
    () => ({
      meta: makeMeta({
        auth: {
          kind: 'basic',
          usernameField: 'email',
          usernameTemplate: '{email}/token',
          passwordField: 'apiToken',
        },
      }),
      credentials: { email: 'ada@example.com', apiToken: 'zendesk-api-token-value' },
      hidden: afterScheme,
    }),
  ],
  [
    'an access token obtained for a Google service account',
    (tokenUrl) => ({
      meta: makeMeta({
        auth: { kind: 'google_service_account', scopes: ['https://www.googleapis.com/auth/bigquery'] },
      }),
      credentials: { clientEmail: 'sa@project.iam.gserviceaccount.com', privateKey },
      hidden: () => [OBTAINED],
      oauthClient: { clientId: 'unused', tokenUrl },
    }),
  ],
  [
    'an access token obtained with the client-credentials grant',
    (tokenUrl) => ({
      meta: makeMeta({
        auth: {
          kind: 'oauth2',
          grantType: 'client_credentials',
          tokenUrl: 'https://auth.acme.test/token',
          clientAuth: 'client_secret_post',
          refresh: { supported: false },
        },
      }),
      credentials: {},
      oauthClient: { clientId: 'client-id', clientSecret: 'client-secret-value', tokenUrl },
      hidden: () => [OBTAINED],
    }),
  ],
  [
    'an AWS Signature V4 Authorization header',
    () => ({
      meta: makeMeta({ auth: { kind: 'aws_sigv4', service: 's3', region: 'us-east-1' } }),
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      hidden: (sent) => [/Signature=([0-9a-f]{64})/.exec(sent)?.[1] as string],
    }),
  ],
  [
    'an Azure Shared Key signature',
    () => ({
      meta: makeMeta({ auth: { kind: 'azure_shared_key' } }),
      credentials: {
        accountName: 'devstoreaccount1',
        accountKey: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
      },
      hidden: (sent) => [sent.slice(sent.lastIndexOf(':') + 1)],
    }),
  ],
];

/** Every way an error or a log line shows itself. */
function renderings(error: unknown, logs: string[]): Array<[string, string]> {
  const e = error as Error & { cause?: unknown };
  return [
    ['message', e.message],
    ['String()', String(e)],
    ['JSON', JSON.stringify(e)],
    ['util.inspect', inspect(e, { depth: 20 })],
    ['cause', inspect(e.cause, { depth: 20 })],
    ['stack', String(e.stack)],
    ['logs', logs.join('\n')],
  ];
}

describe.each([400, 503])('an error answer (%i) that echoes derived credentials does not show them', (status) => {
  it.each(cases)('%s', async (_name, make) => {
    const server = await echoingPlatform(status);
    const { meta, credentials, connectionConfig, oauthClient, hidden } = make(`${server.url}/token`);
    const logs: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(line) });
    const adapter = new EchoAdapter(meta, {
      credentials,
      connectionConfig: connectionConfig ?? {},
      baseUrl: server.url,
      ...(oauthClient ? { oauthClient } : {}),
      logger,
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
      sleep: async () => {},
    } as never);
    const error = await adapter.fetch('customers').catch((e: unknown) => e);
    await adapter.testConnection(); // logs the error it gets
    await adapter.close();

    expect(error).toBeInstanceOf(Error);
    const sent = server.requests.find((r) => r.path !== '/token')?.headers.authorization as string;
    expect(sent, 'the request carried credentials').toBeTruthy();
    const derived = hidden(sent);
    expect(derived.every((value) => typeof value === 'string' && value.length >= 8 && sent.includes(value))).toBe(true);
    // The echo did reach the error (so the test would see a leak): the body is kept, redacted.
    expect(JSON.stringify(error)).toContain('[REDACTED]');
    for (const [where, text] of renderings(error, logs)) {
      expect(text, `${where} shows the Authorization value`).not.toContain(sent);
      for (const value of derived) expect(text, `${where} shows ${value}`).not.toContain(value);
      for (const raw of Object.values(credentials)) {
        if (typeof raw === 'string' && raw.length >= 8) expect(text, `${where} shows a credential`).not.toContain(raw);
      }
    }
  });
});

describe('token endpoints that echo what they were sent', () => {
  it('the client_secret_basic Authorization value of a refused client-credentials grant is not shown', async () => {
    const server = await startServer((req, res) =>
      json(res, 401, {
        error: 'invalid_client',
        error_description: `client ${String(req.headers.authorization)} is unknown`,
        echo: { auth: String(req.headers.authorization) },
      }),
    );
    servers.push(server);
    const meta = makeMeta({
      auth: {
        kind: 'oauth2',
        grantType: 'client_credentials',
        tokenUrl: 'https://auth.acme.test/token',
        clientAuth: 'client_secret_basic',
        refresh: { supported: false },
      },
    });
    const adapter = new EchoAdapter(meta, {
      credentials: {},
      connectionConfig: {},
      baseUrl: server.url,
      oauthClient: { clientId: 'client-id', clientSecret: 'client-secret-value', tokenUrl: `${server.url}/token` },
    } as never);
    const error = await adapter.fetch('customers').catch((e: unknown) => e);
    await adapter.close();
    const sent = String(server.requests[0]?.headers.authorization);
    expect(sent).toMatch(/^Basic /);
    for (const [where, text] of renderings(error, [])) {
      expect(text, where).not.toContain(sent.slice('Basic '.length));
    }
  });

  it('a service-account token endpoint that answers with an HTML page is a typed error without the assertion', async () => {
    const server = await startServer((req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end(`<html>bad gateway for ${req.body}</html>`);
    });
    servers.push(server);
    const adapter = new EchoAdapter(
      makeMeta({ auth: { kind: 'google_service_account', scopes: ['https://www.googleapis.com/auth/bigquery'] } }),
      {
        credentials: { clientEmail: 'sa@project.iam.gserviceaccount.com', privateKey },
        connectionConfig: {},
        baseUrl: server.url,
        oauthClient: { clientId: 'unused', tokenUrl: `${server.url}/token` },
      } as never,
    );
    const error = await adapter.fetch('customers').catch((e: unknown) => e);
    await adapter.close();
    expect(error).toMatchObject({ name: 'ConnectionError', platformId: 'acme' });
    const assertion = new URLSearchParams(server.requests[0]?.body).get('assertion') as string;
    expect(assertion.length).toBeGreaterThan(100);
    for (const [where, text] of renderings(error, [])) expect(text, where).not.toContain(assertion);
  });
});
