/**
 * AWS Signature Version 4 (S3, DynamoDB, Redshift Data API, …) with the AWS SDK's own signer (`@smithy/signature-v4`,
 * the one every AWS SDK v3 client uses), so canonicalization matches AWS exactly. Credentials: `accessKeyId`,
 * `secretAccessKey`, optional `sessionToken`; the region is a literal or a connection variable.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { AdapterError } from '../errors.js';
import type { AuthConfig } from '../platform-schema.js';
import type { AuthStrategy, AuthTarget } from './auth-strategy.js';
import type { CredentialStore } from './credential-store.js';

export type AwsSigV4AuthConfig = Extract<AuthConfig, { kind: 'aws_sigv4' }>;

/**
 * @example
 * const auth = new AwsSigV4Auth(meta.auth, store, () => new Date());
 * await auth.apply({ method: 'GET', url: new URL('https://s3.us-east-1.amazonaws.com/'), headers: {}, query });
 * // headers: authorization: AWS4-HMAC-SHA256 Credential=…, x-amz-date, x-amz-content-sha256 (S3)
 */
export class AwsSigV4Auth implements AuthStrategy {
  readonly kind = 'aws_sigv4' as const;
  readonly sensitiveNames: readonly string[] = ['authorization', 'x-amz-security-token'];
  readonly #config: AwsSigV4AuthConfig;
  readonly #store: CredentialStore;
  readonly #now: () => Date;

  constructor(config: AwsSigV4AuthConfig, store: CredentialStore, now: () => Date = () => new Date()) {
    this.#config = config;
    this.#store = store;
    this.#now = now;
  }

  async apply(target: AuthTarget): Promise<void> {
    const platformId = this.#store.platformId;
    if (!target.url || !target.method) {
      throw new AdapterError(`${platformId}: AWS SigV4 needs the request's method and URL to sign`);
    }
    const accessKeyId = this.#store.render('{accessKeyId}', 'AWS SigV4 signing');
    const secretAccessKey = this.#store.render('{secretAccessKey}', 'AWS SigV4 signing');
    const sessionToken = this.#store.credential('sessionToken');
    const region = this.#store.render(this.#config.region, 'the AWS region');
    const service = this.#config.service;
    const signer = new SignatureV4({
      service,
      region,
      sha256: Sha256,
      credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
      // S3 signs the path as sent (no double encoding) and wants the payload hash as a header.
      uriEscapePath: service !== 's3',
      applyChecksum: service === 's3',
    });
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(target.query.keys())) {
      const values = target.query.getAll(key);
      query[key] = values.length === 1 ? (values[0] as string) : values;
    }
    const signed = await signer.sign(
      {
        method: target.method,
        protocol: target.url.protocol,
        hostname: target.url.hostname,
        ...(target.url.port ? { port: Number(target.url.port) } : {}),
        path: target.url.pathname,
        query,
        headers: { ...target.headers, host: target.url.host },
        ...(target.body === undefined ? {} : { body: target.body }),
      },
      { signingDate: this.#now() },
    );
    for (const [name, value] of Object.entries(signed.headers)) {
      if (name.toLowerCase() !== 'host') target.headers[name] = value;
    }
  }
}
