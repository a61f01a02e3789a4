import { generateKeyPairSync } from 'node:crypto';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { importSPKI, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthTarget } from '../../../src/runtime/auth/auth-strategy.js';
import { sharedKeyStringToSign } from '../../../src/runtime/auth/azure-shared-key-auth.js';
import { createAuthStrategy } from '../../../src/runtime/auth/create-auth.js';
import { CredentialStore } from '../../../src/runtime/auth/credential-store.js';
import type { PlatformMeta } from '../../../src/runtime/index.js';
import { type LoopbackServer, startServer } from '../support/loopback-server.js';
import { makeMeta } from '../support/test-meta.js';

function target(method: string, url: string, body?: string): AuthTarget {
  const parsed = new URL(url);
  return { headers: {}, query: new URLSearchParams(parsed.search), method, url: parsed, ...(body ? { body } : {}) };
}

function strategy(meta: PlatformMeta, credentials: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const store = new CredentialStore(meta, credentials, { region: 'us-east-1' });
  return createAuthStrategy({ meta, store, connectionConfig: { region: 'us-east-1' }, ...extra });
}

const servers: LoopbackServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('AWS Signature Version 4', () => {
  // AWS's published SigV4 test suite, case "get-vanilla" (aws-sig-v4-test-suite): same credentials, time and request.
  it('reproduces the AWS test-suite signature for get-vanilla', async () => {
    const meta = makeMeta({ auth: { kind: 'aws_sigv4', service: 'service', region: 'us-east-1' } });
    const auth = createAuthStrategy({
      meta,
      store: new CredentialStore(
        meta,
        { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
        {},
      ),
      connectionConfig: {},
      now: () => Date.parse('2015-08-30T12:36:00Z'),
    });
    const t = target('GET', 'https://example.amazonaws.com/');
    await auth.apply(t);
    expect(t.headers['x-amz-date']).toBe('20150830T123600Z');
    expect(t.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  it('signs S3 requests with the payload hash header and the region from the connection config', async () => {
    const meta = makeMeta({
      connectionConfig: {
        region: {
          type: 'string',
          description: 'AWS region.',
          pattern: '^[a-z]{2}(-[a-z]+)+-\\d$',
          example: 'us-east-1',
        },
      },
      auth: { kind: 'aws_sigv4', service: 's3', region: '{region}' },
    });
    const t = target('GET', 'https://s3.us-east-1.amazonaws.com/?list-type=2');
    await strategy(meta, { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'session' }).apply(t);
    expect(t.headers['x-amz-content-sha256']).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(t.headers['x-amz-security-token']).toBe('session');
    expect(t.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/us-east-1\/s3\/aws4_request, /);
  });
});

describe('Azure Storage Shared Key', () => {
  const account = 'devstoreaccount1';
  // The Azurite development key Microsoft publishes; not a secret.
  const key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

  it('signs exactly as the Azure Storage SDK does, for the request that SDK sends', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Containers/></EnumerationResults>');
    });
    servers.push(server);
    const client = new BlobServiceClient(`${server.url}/${account}`, new StorageSharedKeyCredential(account, key));
    for await (const _ of client.listContainers({ prefix: 'logs' })) break;
    const sent = server.requests[0]!;
    const headers = Object.fromEntries(Object.entries(sent.headers).map(([k, v]) => [k, String(v)]));
    const url = new URL(sent.url, `${server.url}`);
    // Azurite-style URLs put the account in the path; the SDK signs the resource as /<account>/<account>/…
    const stringToSign = sharedKeyStringToSign(account, sent.method, url, headers);
    const ours = new StorageSharedKeyCredential(account, key).computeHMACSHA256(stringToSign);
    expect(headers.authorization).toBe(`SharedKey ${account}:${ours}`);
  });

  it('adds x-ms-date and the SharedKey header through the strategy', async () => {
    const meta = makeMeta({ auth: { kind: 'azure_shared_key' }, headers: { 'x-ms-version': '2025-01-05' } });
    const auth = createAuthStrategy({
      meta,
      store: new CredentialStore(meta, { accountName: account, accountKey: key }, {}),
      connectionConfig: {},
      now: () => Date.parse('2026-01-01T00:00:00Z'),
    });
    const t = target('GET', `https://${account}.blob.core.windows.net/?comp=list`);
    t.headers['x-ms-version'] = '2025-01-05';
    await auth.apply(t);
    expect(t.headers['x-ms-date']).toBe('Thu, 01 Jan 2026 00:00:00 GMT');
    const expected = new StorageSharedKeyCredential(account, key).computeHMACSHA256(
      `GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Thu, 01 Jan 2026 00:00:00 GMT\nx-ms-version:2025-01-05\n/${account}/\ncomp:list`,
    );
    expect(t.headers.Authorization).toBe(`SharedKey ${account}:${expected}`);
  });
});

describe('Google service account', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const spki = publicKey.export({ type: 'spki', format: 'pem' }).toString();

  async function tokenServer() {
    let exchanges = 0;
    const server = await startServer(async (req, res) => {
      const form = new URLSearchParams(req.body);
      const { payload } = await jwtVerify(form.get('assertion') ?? '', await importSPKI(spki, 'RS256'), {
        issuer: 'robot@acme.iam.gserviceaccount.com',
        audience: `${server.url}/token`,
      });
      exchanges++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          grant: form.get('grant_type'),
          scope_seen: payload.scope,
          access_token: `ya29.token-${exchanges}`,
          token_type: 'Bearer',
          expires_in: 3599,
        }),
      );
    });
    servers.push(server);
    return { server, exchanges: () => exchanges };
  }

  function serviceAccount(tokenUrl: string) {
    const meta = makeMeta({
      auth: { kind: 'google_service_account', scopes: ['https://www.googleapis.com/auth/bigquery.readonly'] },
    });
    return createAuthStrategy({
      meta,
      store: new CredentialStore(meta, { clientEmail: 'robot@acme.iam.gserviceaccount.com', privateKey: pem }, {}),
      connectionConfig: {},
      oauthClient: { clientId: 'unused', tokenUrl },
    });
  }

  it('exchanges a signed JWT (verified by the token server) for a bearer token, once for concurrent requests', async () => {
    const { server, exchanges } = await tokenServer();
    const auth = serviceAccount(`${server.url}/token`);
    const targets = Array.from({ length: 10 }, () => target('GET', 'https://bigquery.googleapis.com/'));
    await Promise.all(targets.map((t) => auth.apply(t)));
    expect(exchanges()).toBe(1);
    expect(new Set(targets.map((t) => t.headers.Authorization))).toEqual(new Set(['Bearer ya29.token-1']));
    expect(new URLSearchParams(server.requests[0]!.body).get('grant_type')).toBe(
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
    );
  });

  it('renews once after a 401 on the current token', async () => {
    const { server, exchanges } = await tokenServer();
    const auth = serviceAccount(`${server.url}/token`);
    const t = target('GET', 'https://bigquery.googleapis.com/');
    await auth.apply(t);
    expect(await auth.recover!(t)).toBe(true);
    await auth.apply(t);
    expect(exchanges()).toBe(2);
    expect(t.headers.Authorization).toBe('Bearer ya29.token-2');
  });
});
