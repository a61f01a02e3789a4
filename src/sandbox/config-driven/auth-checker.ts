/**
 * The platform side of a config's `auth`: test credentials shaped like the adapter's credentials type, and a check
 * that accepts exactly what the config says the platform receives and refuses anything else.
 *
 * - `api_key` (header or query, value template), `bearer`, `oauth2` (access token in its header form), `basic`
 *   (user-name and password fields or templates): the rendered value must match exactly.
 * - `aws_sigv4`: the signature is recomputed with the AWS SDK's signer (`@smithy/signature-v4`) over the request as
 *   received (the headers it names in `SignedHeaders`, the path, query and body), for the configured service and
 *   region; the access key, date scope and session token must match, and the date be within 15 minutes.
 * - `azure_shared_key`: the HMAC-SHA256 of the Shared Key string-to-sign, computed from the request as received,
 *   keyed with the base64-decoded account key; `x-ms-date` within 15 minutes.
 * - `google_service_account`: a token endpoint that verifies the RS256 JWT assertion with `jose` against the test
 *   key (issuer = client e-mail, audience = the token URL, scope = the configured scopes) and issues bearer tokens,
 *   which API requests must then carry in the configured header.
 */
import {
  createHash,
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  timingSafeEqual,
} from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { jwtVerify } from 'jose';
import type { PlatformMeta } from '../../runtime/adapter-types.js';
import type { AuthKind } from '../../runtime/auth/auth-kinds.js';
import { sharedKeyStringToSign } from '../../runtime/auth/azure-shared-key-auth.js';
import { camelCase } from '../../runtime/camel-case.js';
import { getPath } from '../../runtime/dotted-path.js';
import { placeholders } from '../../runtime/template-renderer.js';
import type { Clock } from '../emulator-clock.js';
import { type EmulatorRequest, type EmulatorResponse, formFields } from '../emulator-server.js';
import { type Row, setDeep } from './record-synthesizer.js';

type AuthConfig = PlatformMeta['auth'];
export type Credentials = Record<string, string>;

/** Where the emulator serves the Google service-account token exchange (pass it as `oauthClient.tokenUrl`). */
export const SERVICE_ACCOUNT_TOKEN_PATH = '/__emulator/oauth2/token';

/** Signed requests (SigV4, Shared Key) older or newer than this are refused, as AWS and Azure do. */
const MAX_CLOCK_SKEW_MS = 15 * 60_000;

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

interface RsaKey {
  privateKeyPem: string;
  publicKey: KeyObject;
}

let rsaKeys: [RsaKey, RsaKey] | undefined;

/** Two RSA keys per process (the accepted one and a wrong one); generating them is the slow part. */
function testRsaKeys(): [RsaKey, RsaKey] {
  const make = (): RsaKey => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKey: createPublicKey(privateKey),
    };
  };
  rsaKeys ??= [make(), make()];
  return rsaKeys;
}

const secret = (meta: PlatformMeta, name: string) => `emu-${meta.id}-${name}`;

type AuthOf<K extends AuthKind> = Extract<AuthConfig, { kind: K }>;

/** What a check may use: the accepted credentials, the clock, the tokens issued so far, and the template renderer. */
interface CheckContext {
  credentials: Credentials;
  now: Clock;
  issued: ReadonlySet<string>;
  /** Fills `{name}` as the runtime does (see {@link renderExpected}). */
  render(template: string): string;
}

/** The platform side of one auth kind. */
interface AuthEmulation<K extends AuthKind> {
  /** The kind's own credentials the emulator accepts (`extraCredentials` are added for every kind). */
  credentials(auth: AuthOf<K>, meta: PlatformMeta): Credentials;
  /** The credential fields whose change must make the platform refuse the request. */
  primarySecrets(auth: AuthOf<K>): string[];
  /** The request header the credentials travel in (`undefined`: not a header, e.g. an API key in the query). */
  header(auth: AuthOf<K>): string | undefined;
  /** Accepts exactly what the config says the platform receives. */
  check(request: EmulatorRequest, auth: AuthOf<K>, context: CheckContext): AuthCheck | Promise<AuthCheck>;
  /** The platform issues tokens itself, at `SERVICE_ACCOUNT_TOKEN_PATH`. */
  servesTokens?: true;
}

/**
 * Credentials the emulator accepts, as the adapter takes them, and a copy with the primary secret changed.
 *
 * @example
 * emulatorCredentials(stripeMeta).credentials; // { apiKey: 'emu-stripe-apiKey' }
 */
export function emulatorCredentials(meta: PlatformMeta): { credentials: Credentials; invalidCredentials: Credentials } {
  const auth = meta.auth;
  const emulation = emulationOf(auth);
  const credentials: Credentials = emulation.credentials(auth, meta);
  for (const name of Object.keys(auth.extraCredentials)) credentials[name] ??= secret(meta, name);

  const invalidCredentials: Credentials = { ...credentials };
  for (const name of emulation.primarySecrets(auth)) {
    if (name === 'privateKey') invalidCredentials[name] = testRsaKeys()[1].privateKeyPem;
    else if (name === 'accountKey') invalidCredentials[name] = createHash('sha512').update('wrong').digest('base64');
    else if (invalidCredentials[name] !== undefined) invalidCredentials[name] = `wrong-${invalidCredentials[name]}`;
  }
  return { credentials, invalidCredentials };
}

/** Fills `{name}` from credentials, then connection config, variable defaults and `apiVersion` (as the runtime). */
export function renderExpected(
  template: string,
  meta: PlatformMeta,
  credentials: Credentials,
  connectionConfig: Readonly<Record<string, string>>,
): string {
  return template.replace(/\{([A-Za-z][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
    const value =
      credentials[name] ||
      connectionConfig[name] ||
      meta.connectionConfig[name]?.default ||
      (name === 'apiVersion' ? meta.apiVersion : undefined);
    return value ?? whole;
  });
}

/** Constant-time string equality (through digests, so lengths may differ). */
function same(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b)) && a === b;
}

function header(request: EmulatorRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

export type AuthCheck = { ok: true } | { ok: false; reason: string };

const refused = (reason: string): AuthCheck => ({ ok: false, reason });

function exactHeader(request: EmulatorRequest, name: string, expected: string): AuthCheck {
  const got = header(request, name);
  if (got === undefined) return refused(`no ${name} header`);
  return same(got, expected) ? { ok: true } : refused(`wrong ${name} header`);
}

function exactQuery(request: EmulatorRequest, name: string, expected: string): AuthCheck {
  const got = request.url.searchParams.get(name);
  if (got === null) return refused(`no ${name} query parameter`);
  return same(got, expected) ? { ok: true } : refused(`wrong ${name} query parameter`);
}

function checkBasic(request: EmulatorRequest, auth: AuthOf<'basic'>, context: CheckContext): AuthCheck {
  const { credentials } = context;
  const value = header(request, 'authorization');
  if (!value?.startsWith('Basic ')) return refused('no Basic authorization');
  const decoded = Buffer.from(value.slice('Basic '.length), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return refused('malformed Basic credentials');
  const username = auth.usernameTemplate
    ? context.render(auth.usernameTemplate)
    : (credentials[auth.usernameField] ?? '');
  const password =
    auth.passwordTemplate !== undefined
      ? auth.passwordTemplate && context.render(auth.passwordTemplate)
      : auth.passwordField
        ? (credentials[auth.passwordField] ?? '')
        : '';
  const ok = same(decoded.slice(0, colon), username) && same(decoded.slice(colon + 1), password);
  return ok ? { ok: true } : refused('wrong user name or password');
}

function checkIssuedToken(
  request: EmulatorRequest,
  auth: AuthOf<'google_service_account'>,
  context: CheckContext,
): AuthCheck {
  const { name, value: template } = auth.header;
  const value = header(request, name);
  if (value === undefined) return refused(`no ${name} header`);
  const [prefix = '', suffix = ''] = template.split('{accessToken}');
  if (!value.startsWith(prefix) || !value.endsWith(suffix)) return refused(`malformed ${name} header`);
  const token = value.slice(prefix.length, value.length - suffix.length);
  return context.issued.has(token) ? { ok: true } : refused('unknown or expired access token');
}

function withinSkew(at: number, context: CheckContext): boolean {
  return Number.isFinite(at) && Math.abs(context.now() - at) <= MAX_CLOCK_SKEW_MS;
}

async function checkSigV4(
  request: EmulatorRequest,
  auth: AuthOf<'aws_sigv4'>,
  context: CheckContext,
): Promise<AuthCheck> {
  const { credentials } = context;
  const value = header(request, 'authorization') ?? '';
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;._-]+), ?Signature=([0-9a-f]{64})$/.exec(
      value,
    );
  if (!m) return refused('no AWS4-HMAC-SHA256 authorization');
  const [, accessKeyId, day, region, service, signedHeaders = ''] = m;
  const expectedRegion = context.render(auth.region);
  if (accessKeyId !== credentials.accessKeyId) return refused('unknown access key id');
  if (region !== expectedRegion || service !== auth.service) {
    return refused(`credential scope ${region}/${service} is not ${expectedRegion}/${auth.service}`);
  }
  const amzDate = header(request, 'x-amz-date') ?? '';
  const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!d || day !== amzDate.slice(0, 8)) return refused('missing or inconsistent x-amz-date');
  const signingDate = new Date(Date.UTC(+d[1]!, +d[2]! - 1, +d[3]!, +d[4]!, +d[5]!, +d[6]!));
  if (!withinSkew(signingDate.getTime(), context)) return refused('request time too skewed');
  if (credentials.sessionToken && header(request, 'x-amz-security-token') !== credentials.sessionToken) {
    return refused('missing or wrong x-amz-security-token');
  }
  const names = signedHeaders.split(';');
  if (!names.includes('host')) return refused('host is not signed');
  const headers: Record<string, string> = {};
  for (const name of names) {
    const got = header(request, name);
    if (got === undefined) return refused(`signed header ${name} is missing`);
    headers[name] = got;
  }
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(request.url.searchParams.keys())) {
    const values = request.url.searchParams.getAll(key);
    query[key] = values.length === 1 ? (values[0] as string) : values;
  }
  const signer = new SignatureV4({
    service: auth.service,
    region: expectedRegion,
    sha256: Sha256,
    credentials: {
      accessKeyId: credentials.accessKeyId ?? '',
      secretAccessKey: credentials.secretAccessKey ?? '',
      ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
    },
    uriEscapePath: auth.service !== 's3',
    applyChecksum: auth.service === 's3',
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: request.url.hostname,
      ...(request.url.port ? { port: Number(request.url.port) } : {}),
      path: request.url.pathname,
      query,
      headers,
      ...(request.rawBody === '' ? {} : { body: request.rawBody }),
    },
    { signingDate },
  );
  const expected = signed.headers.authorization ?? signed.headers.Authorization ?? '';
  return same(value, expected) ? { ok: true } : refused('SignatureDoesNotMatch');
}

function checkSharedKey(request: EmulatorRequest, context: CheckContext): AuthCheck {
  const { credentials } = context;
  const value = header(request, 'authorization') ?? '';
  const m = /^SharedKey ([^:]+):(.+)$/.exec(value);
  const [, account = '', signature = ''] = m ?? [];
  if (!m) return refused('no SharedKey authorization');
  if (account !== credentials.accountName) return refused('unknown account');
  const date = header(request, 'x-ms-date');
  if (!date || !withinSkew(Date.parse(date), context)) return refused('missing or skewed x-ms-date');
  const headers: Record<string, string> = {};
  for (const name of Object.keys(request.headers)) headers[name] = header(request, name) ?? '';
  const key = Buffer.from(credentials.accountKey ?? '', 'base64');
  const expected = createHmac('sha256', key)
    .update(sharedKeyStringToSign(account, request.method, request.url, headers), 'utf8')
    .digest('base64');
  return same(signature, expected) ? { ok: true } : refused('AuthenticationFailed: signature mismatch');
}

const headerSecrets = (auth: { header: { value: string } }) => placeholders(auth.header.value);
const configuredHeader = (auth: { header: { name: string } }) => auth.header.name;
const authorization = () => 'authorization';
const headerCheck = (
  request: EmulatorRequest,
  auth: { header: { name: string; value: string } },
  context: CheckContext,
) => exactHeader(request, auth.header.name, context.render(auth.header.value));

/** Keyed by auth kind: the type makes a kind without its emulation a compile error. */
const AUTH_EMULATIONS: { readonly [K in AuthKind]: AuthEmulation<K> } = {
  oauth2: {
    credentials: (auth, meta) => {
      const credentials: Credentials = { accessToken: secret(meta, 'accessToken') };
      for (const field of auth.tokenResponseFields) {
        const name = camelCase(field);
        credentials[name] = /url$/i.test(name) ? `https://${meta.id}.emulator.invalid` : secret(meta, name);
      }
      return credentials;
    },
    primarySecrets: headerSecrets,
    header: configuredHeader,
    check: headerCheck,
  },
  api_key: {
    credentials: (_, meta) => ({ apiKey: secret(meta, 'apiKey') }),
    primarySecrets: (auth) => placeholders(auth.value),
    header: (auth) => (auth.in === 'header' ? auth.name : undefined),
    check: (request, auth, context) =>
      auth.in === 'header'
        ? exactHeader(request, auth.name, context.render(auth.value))
        : exactQuery(request, auth.name, context.render(auth.value)),
  },
  bearer: {
    credentials: (_, meta) => ({ token: secret(meta, 'token') }),
    primarySecrets: headerSecrets,
    header: configuredHeader,
    check: headerCheck,
  },
  basic: {
    credentials: (auth, meta) => {
      const credentials: Credentials = { [auth.usernameField]: secret(meta, auth.usernameField) };
      if (auth.passwordField) credentials[auth.passwordField] = secret(meta, auth.passwordField);
      return credentials;
    },
    primarySecrets: (auth) => {
      // The password half, unless it is a literal (Campaign Monitor's `x`): then the user-name half is the secret.
      const password =
        auth.passwordTemplate !== undefined
          ? placeholders(auth.passwordTemplate)
          : auth.passwordField
            ? [auth.passwordField]
            : [];
      if (password.length > 0) return password;
      return auth.usernameTemplate ? placeholders(auth.usernameTemplate) : [auth.usernameField];
    },
    header: authorization,
    check: checkBasic,
  },
  aws_sigv4: {
    credentials: (_, meta) => ({
      accessKeyId: 'AKIAEMULATOR00000001',
      secretAccessKey: createHash('sha256').update(`aws:${meta.id}`).digest('base64').slice(0, 40),
      sessionToken: secret(meta, 'sessionToken'),
    }),
    primarySecrets: () => ['secretAccessKey'],
    header: authorization,
    check: checkSigV4,
  },
  google_service_account: {
    credentials: (_, meta) => ({
      clientEmail: `emulator@${meta.id}.iam.gserviceaccount.com`,
      privateKey: testRsaKeys()[0].privateKeyPem,
    }),
    primarySecrets: () => ['privateKey'],
    header: configuredHeader,
    check: checkIssuedToken,
    servesTokens: true,
  },
  azure_shared_key: {
    credentials: (_, meta) => ({
      accountName: 'devstoreaccount1',
      accountKey: createHash('sha512').update(`azure:${meta.id}`).digest('base64'),
    }),
    primarySecrets: () => ['accountKey'],
    header: authorization,
    check: (request, _, context) => checkSharedKey(request, context),
  },
};

/** The emulation of a config's kind. (The one cast of the dispatch: it is picked by the config's own `kind`.) */
function emulationOf(auth: AuthConfig): AuthEmulation<AuthKind> {
  return AUTH_EMULATIONS[auth.kind] as AuthEmulation<AuthKind>;
}

/**
 * The request header a config's credentials travel in, `undefined` when they do not travel in a header.
 *
 * @example
 * authHeaderOf({ kind: 'api_key', in: 'header', name: 'X-Api-Key', value: '{apiKey}', … }); // 'X-Api-Key'
 */
export function authHeaderOf(auth: AuthConfig): string | undefined {
  return emulationOf(auth).header(auth);
}

export interface AuthCheckerOptions {
  meta: PlatformMeta;
  credentials: Credentials;
  connectionConfig: Readonly<Record<string, string>>;
  now: Clock;
}

/**
 * @example
 * const checker = new AuthChecker({ meta, credentials, connectionConfig, now: Date.now });
 * const result = await checker.check(request); // { ok: true } or { ok: false, reason }
 */
export class AuthChecker {
  readonly #options: AuthCheckerOptions;
  readonly #issued = new Set<string>();
  #tokenSequence = 0;

  constructor(options: AuthCheckerOptions) {
    this.#options = options;
  }

  /** Whether the platform issues tokens itself (Google service accounts), at `SERVICE_ACCOUNT_TOKEN_PATH`. */
  get servesTokens(): boolean {
    return emulationOf(this.#options.meta.auth).servesTokens === true;
  }

  /** Checks a request's credentials. */
  async check(request: EmulatorRequest): Promise<AuthCheck> {
    const { meta, credentials, connectionConfig, now } = this.#options;
    const context: CheckContext = {
      credentials,
      now,
      issued: this.#issued,
      render: (template) => renderExpected(template, meta, credentials, connectionConfig),
    };
    return emulationOf(meta.auth).check(request, meta.auth, context);
  }

  /**
   * The Google service-account token endpoint (RFC 7523 JWT bearer grant).
   *
   * @example
   * // POST /__emulator/oauth2/token  grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>
   * // → 200 { access_token, token_type: 'Bearer', expires_in: 3600 }
   */
  async token(request: EmulatorRequest): Promise<EmulatorResponse> {
    const { meta, credentials } = this.#options;
    const invalid = (description: string): EmulatorResponse => ({
      status: 400,
      body: { error: 'invalid_grant', error_description: description },
    });
    if (meta.auth.kind !== 'google_service_account') return { status: 404, body: { error: 'not_found' } };
    const form = formFields(request);
    if (form.grant_type !== JWT_BEARER) {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type.' } };
    }
    try {
      const { payload } = await jwtVerify(form.assertion ?? '', testRsaKeys()[0].publicKey, {
        issuer: credentials.clientEmail ?? '',
        audience: `${request.url.origin}${SERVICE_ACCOUNT_TOKEN_PATH}`,
        algorithms: ['RS256'],
        currentDate: new Date(this.#options.now()),
      });
      if (payload.scope !== meta.auth.scopes.join(' ')) return invalid('Invalid OAuth scope or ID token audience.');
    } catch {
      return invalid('Invalid JWT Signature.');
    }
    const accessToken = `ya29.emulator-${meta.id}-${++this.#tokenSequence}`;
    this.#issued.add(accessToken);
    return { status: 200, body: { access_token: accessToken, token_type: 'Bearer', expires_in: 3600 } };
  }
}

/**
 * How the platform refuses credentials: its `errorBody` form where the config declares authentication codes
 * (Slack answers 200 `{ ok: false, error: 'invalid_auth' }`), else a 401.
 */
export function authRejection(meta: PlatformMeta, reason: string): EmulatorResponse {
  const eb = meta.errorBody;
  const code = eb?.codes.authentication[0];
  if (eb && code !== undefined) {
    const body: Row = {};
    setDeep(body, eb.when.path, eb.when.equals ?? true);
    if (eb.codePath) setDeep(body, eb.codePath, code);
    if (getPath(body, eb.messagePath) === undefined) setDeep(body, eb.messagePath, reason);
    return { status: 200, body };
  }
  return { status: 401, body: { error: { code: 'unauthorized', message: `Unauthorized: ${reason}` } } };
}
