/**
 * `verifyWebhook` under random input, for every platform (and config) that signs its webhooks. Deterministic: the
 * random numbers come from a seeded mulberry32, and every failure names its seed and iteration.
 *
 * - Unsigned input never verifies and never throws: headers shaped like the scheme's but signed with a secret that is
 *   not configured, then mutated, dropped, duplicated or replaced by values of the wrong type; random bodies,
 *   secrets, clocks, methods and URLs; now and then every argument random.
 * - Signed input verifies, and stops verifying when one bit of its body or of its signature changes — so the first
 *   property cannot pass by refusing everything.
 */
import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  signWebhook,
  verifyWebhook,
  type WebhookRequest,
  type WebhookSchemeName,
  type WebhookVerificationResult,
} from '../../../src/runtime/index.js';
import type { GenericSignedContentConfig } from '../../../src/runtime/webhooks/signed-content-hmac-scheme.js';
import { webhookSchemeDefaults } from '../../../src/runtime/webhooks/webhook-schemes.js';
import { seededRandom } from '../../../src/sandbox/fault-injector.js';
import {
  HMAC_BODY_CONFIG,
  NOW,
  registerConfiguredWebhooks,
  SIGNS_URL,
  signWithConfig,
  WEBHOOK_PLATFORMS,
  type WebhookPlatform,
} from './webhook-scheme-cases.js';

beforeAll(registerConfiguredWebhooks);

const UNSIGNED_PER_PLATFORM = 400;
const SIGNED_PER_PLATFORM = 150;

interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  text(alphabet: string, min: number, max: number): string;
  bytes(min: number, max: number): Buffer;
}

function random(seed: number): Random {
  const next = seededRandom(seed);
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: (items) => items[int(items.length)] as (typeof items)[number],
    text(alphabet, min, max) {
      let out = '';
      for (let i = min + int(max - min + 1); i > 0; i--) out += alphabet[int(alphabet.length)];
      return out;
    },
    bytes(min, max) {
      const out = Buffer.alloc(min + int(max - min + 1));
      for (let i = 0; i < out.length; i++) out[i] = int(256);
      return out;
    },
  };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';
const BASE64 = `${ALNUM}+/=`;
const PRINTABLE = `${ALNUM} !"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`;
const AWKWARD = `${PRINTABLE}\t\r\n\u0000\u00e9\u2028\ud83d\ude00\ud800é`;
const ALPHABETS = [ALNUM, HEX, BASE64, PRINTABLE, AWKWARD, '0123456789', ',=tv01 '];

/** A value of a type nobody should pass, or a near miss of a valid one. */
function junk(r: Random): unknown {
  const values: Array<() => unknown> = [
    () => undefined,
    () => null,
    () => r.chance(0.5),
    () => r.int(2 ** 31) - 2 ** 30,
    () => r.pick([Number.NaN, Number.POSITIVE_INFINITY, -0, 1.5, 1e21]),
    () => BigInt(r.int(1000)),
    () => '',
    () => r.text(r.pick(ALPHABETS), 0, 40),
    () => Symbol(r.text(ALNUM, 0, 5)),
    () => ({}),
    () => ({ [r.text(ALNUM, 1, 5)]: r.text(ALNUM, 0, 5) }),
    () => [],
    () => [r.text(ALNUM, 0, 10), r.int(10)],
    () => [null],
    () => Object.create(null),
    () => new Date(Number.NaN),
    () => new Date(NOW.getTime() + r.int(1000)),
    () => r.bytes(0, 16),
    () => new Uint8Array(r.bytes(0, 8)),
    () => new ArrayBuffer(r.int(8)),
    () => () => 'a function',
    () => new Map([['stripe-signature', 't=1,v1=00']]),
    () =>
      Object.defineProperty({}, 'x-hostile', {
        enumerable: true,
        get() {
          throw new Error('a getter that throws');
        },
      }),
  ];
  return r.pick(values)();
}

/** A string with one random edit: a character replaced, inserted or removed, a cut, a case change or a doubling. */
function mutate(r: Random, value: string): string {
  const at = r.int(value.length + 1);
  switch (r.int(7)) {
    case 0:
      return value.slice(0, at) + r.text(r.pick(ALPHABETS), 1, 1) + value.slice(at + 1);
    case 1:
      return value.slice(0, at) + r.text(r.pick(ALPHABETS), 1, 3) + value.slice(at);
    case 2:
      return value.slice(0, at) + value.slice(at + 1);
    case 3:
      return value.slice(0, at);
    case 4:
      return r.chance(0.5) ? value.toUpperCase() : value.toLowerCase();
    case 5:
      return `${value},${value}`;
    default:
      return ` ${value} `;
  }
}

/** A secret of the form the scheme takes (`whsec_<base64>` for Standard Webhooks), marked so it can be told apart. */
function secretFor(r: Random, platform: WebhookPlatform, mark: string): string {
  if (platform.scheme === 'standard-webhooks') return `whsec_${r.bytes(8, 32).toString('base64')}`;
  return `${mark}${r.text(PRINTABLE, 4, 40)}`;
}

function randomUrl(r: Random): string {
  const query = r.chance(0.5) ? `?${r.text(ALNUM, 1, 6)}=${r.text(ALNUM, 0, 8)}` : '';
  const port = r.chance(0.2) ? `:${1 + r.int(65_535)}` : '';
  return `${r.pick(['https', 'http'])}://${r.text(ALNUM, 1, 10).toLowerCase()}.test${port}/${r.text(ALNUM, 0, 12)}${query}`;
}

interface Delivery {
  request: WebhookRequest;
  secret: string;
  contentType: string;
}

/** A delivery signed for the platform exactly as the vendor would, with random content. */
function signedDelivery(r: Random, platform: WebhookPlatform, secret: string): Delivery {
  const scheme = platform.scheme;
  const form = scheme === 'twilio-sha1' && r.chance(0.5);
  const contentType = form ? 'application/x-www-form-urlencoded' : 'application/json';
  const rawBody: Buffer | string = form
    ? Array.from({ length: r.int(5) }, () => `${r.text(ALNUM, 1, 8)}=${r.text(ALNUM, 0, 8)}`).join('&')
    : r.chance(0.5)
      ? JSON.stringify({ id: r.text(ALNUM, 1, 12), note: r.text(AWKWARD, 0, 30) })
      : r.bytes(0, 64);
  const method = scheme === 'hubspot-v3' ? r.pick(['POST', 'GET', 'PUT', 'PATCH', 'DELETE']) : 'POST';
  const url = randomUrl(r);
  if (scheme === 'hmac-body') {
    const digest = createHmac(HMAC_BODY_CONFIG.algorithm, secret).update(rawBody).digest(HMAC_BODY_CONFIG.encoding);
    const headers = { [HMAC_BODY_CONFIG.signatureHeader]: `${HMAC_BODY_CONFIG.prefix}${digest}` };
    return { request: { method, url, headers, rawBody }, secret, contentType };
  }
  if (scheme === 'hmac-signed-content') {
    // Inside the platform's replay window, however narrow (Paddle's is five seconds).
    const window = Math.min(250_000, ((platform.config as GenericSignedContentConfig).toleranceSeconds ?? 300) * 1000);
    const headers = signWithConfig(platform.config as GenericSignedContentConfig, {
      secret,
      rawBody,
      timestamp: new Date(NOW.getTime() + r.int(2 * window + 1) - window),
      deliveryId: `msg_${r.text(ALNUM, 4, 20)}`,
    });
    return {
      request: { method, url, headers: { 'content-type': contentType, ...headers }, rawBody },
      secret,
      contentType,
    };
  }
  const signed = signWebhook(scheme, {
    secret,
    rawBody,
    url,
    method,
    contentType,
    timestamp: new Date(NOW.getTime() + (r.int(500_000) - 250_000)),
    deliveryId: `msg_${r.text(ALNUM, 4, 20)}`,
  });
  const headers = { 'content-type': contentType, ...signed.headers };
  return { request: { method, url: signed.url, headers, rawBody }, secret, contentType };
}

function signatureHeaderOf(platform: WebhookPlatform): string {
  if (platform.scheme === 'hmac-signed-content') return (platform.config as GenericSignedContentConfig).signatureHeader;
  return platform.scheme === 'hmac-body'
    ? HMAC_BODY_CONFIG.signatureHeader
    : webhookSchemeDefaults(platform.scheme).signatureHeader;
}

/** How the scheme writes its digest: always last in the signature header, in hex or base64. */
function digestEncoding(platform: WebhookPlatform): 'hex' | 'base64' {
  if (platform.scheme === 'hmac-signed-content') return (platform.config as GenericSignedContentConfig).encoding;
  const hex: Array<WebhookSchemeName | 'hmac-body'> = [
    'stripe-v1',
    'slack-v0',
    'github-sha256',
    'meta-sha256',
    'intercom-sha1',
  ];
  if (platform.scheme === 'hmac-body') return HMAC_BODY_CONFIG.encoding;
  return hex.includes(platform.scheme) ? 'hex' : 'base64';
}

/** The header with one bit of its (last) digest flipped: a different MAC, whatever the encoding's slack. */
function flipSignatureBit(r: Random, value: string, encoding: 'hex' | 'base64'): string {
  const match = (encoding === 'hex' ? /[0-9a-f]+$/ : /[A-Za-z0-9+/]+={0,2}$/).exec(value);
  if (!match) throw new Error(`no ${encoding} digest at the end of ${value}`);
  const digest = Buffer.from(match[0], encoding);
  const at = r.int(digest.length);
  digest[at] = (digest[at] as number) ^ (1 << r.int(8));
  return value.slice(0, match.index) + digest.toString(encoding);
}

function flipBodyBit(r: Random, rawBody: Buffer | string): Buffer {
  const bytes = Buffer.from(rawBody);
  const at = r.int(bytes.length);
  bytes[at] = (bytes[at] as number) ^ (1 << r.int(8));
  return bytes;
}

/** Headers from a foreign delivery, each changed in one of the ways a sloppy proxy or an attacker might. */
function mangleHeaders(r: Random, headers: Readonly<Record<string, unknown>>): unknown {
  if (r.chance(0.05)) return junk(r);
  const out: Record<string, unknown> = { ...headers };
  for (let edits = r.int(4); edits > 0; edits--) {
    const names = Object.keys(out);
    const name = names.length > 0 && r.chance(0.8) ? r.pick(names) : r.text(ALNUM, 1, 12);
    const value = out[name];
    switch (r.int(6)) {
      case 0:
        out[name] = junk(r);
        break;
      case 1:
        out[name] = typeof value === 'string' ? mutate(r, value) : r.text(r.pick(ALPHABETS), 0, 40);
        break;
      case 2:
        delete out[name];
        break;
      case 3:
        out[name] = [value, r.chance(0.5) ? value : junk(r)];
        break;
      case 4:
        out[r.chance(0.5) ? name.toUpperCase() : name.toLowerCase()] = value;
        break;
      default:
        out[name] = r.text(r.pick(ALPHABETS), 0, 80);
    }
  }
  return out;
}

function randomNow(r: Random): unknown {
  if (r.chance(0.7)) return new Date(NOW.getTime() + (r.int(600_000) - 300_000));
  if (r.chance(0.2)) return undefined;
  return r.pick<() => unknown>([
    () => new Date(Number.NaN),
    () => new Date(r.int(2 ** 31) * 1000),
    () => NOW.getTime(),
    () => NOW.toISOString(),
    () => ({ getTime: () => NOW.getTime() }),
    () => junk(r),
  ])();
}

/** `verifyWebhook` as untyped JavaScript sees it. */
const verifyUntyped = verifyWebhook as (...args: unknown[]) => WebhookVerificationResult;

function describeInput(args: unknown[]): string {
  return inspect(args, { depth: 4, maxStringLength: 120, breakLength: Number.POSITIVE_INFINITY });
}

/** `ok: false` with a short reason holding no configured secret; otherwise what is wrong. */
function refusalProblem(result: unknown, secrets: readonly string[]): string | undefined {
  const failure = result as { ok?: unknown; reason?: unknown } | undefined;
  if (failure?.ok !== false) return `answered ${inspect(result)}`;
  if (typeof failure.reason !== 'string' || failure.reason.length === 0 || failure.reason.length > 160) {
    return `reason ${inspect(failure.reason)}`;
  }
  const leaked = secrets.find((secret) => secret.length >= 6 && (failure.reason as string).includes(secret));
  return leaked === undefined ? undefined : `reason ${inspect(failure.reason)} contains a secret`;
}

describe.each(
  WEBHOOK_PLATFORMS.map((platform, index) => [platform.label, { platform, seed: 0x5eed + index }] as const),
)('%s under random input', (_label, { platform, seed }) => {
  it(`never throws and never accepts any of ${UNSIGNED_PER_PLATFORM} deliveries it was not correctly signed for`, () => {
    const r = random(seed);
    const failures: string[] = [];
    for (let i = 0; i < UNSIGNED_PER_PLATFORM; i++) {
      const foreign = signedDelivery(r, platform, secretFor(r, platform, 'foreign-'));
      const secrets = Array.from({ length: 1 + r.int(3) }, () => secretFor(r, platform, 'configured-'));
      const request = {
        method: r.chance(0.9) ? foreign.request.method : junk(r),
        url: r.chance(0.85) ? foreign.request.url : r.chance(0.5) ? randomUrl(r) : junk(r),
        headers: mangleHeaders(r, foreign.request.headers),
        rawBody: r.chance(0.8) ? foreign.request.rawBody : r.chance(0.5) ? r.bytes(0, 64) : junk(r),
      };
      const options = {
        secrets: r.chance(0.9) ? secrets : junk(r),
        now: randomNow(r),
        ...(platform.config ? { config: platform.config } : {}),
      };
      const args: unknown[] = r.chance(0.05)
        ? [r.chance(0.5) ? platform.platformId : junk(r), junk(r), r.chance(0.5) ? options : junk(r)]
        : [platform.platformId, r.chance(0.97) ? request : junk(r), options];
      try {
        const problem = refusalProblem(verifyUntyped(...args), [...secrets, foreign.secret]);
        if (problem) failures.push(`seed ${seed} #${i}: ${problem} for ${describeInput(args)}`);
      } catch (error) {
        failures.push(
          `seed ${seed} #${i}: threw ${error instanceof Error ? `${error.name}: ${error.message}` : inspect(error)} for ${describeInput(args)}`,
        );
      }
    }
    expect(failures).toEqual([]);
  });

  it(`accepts ${SIGNED_PER_PLATFORM} correctly signed deliveries, and none with one bit of body or signature flipped`, () => {
    const r = random(seed ^ 0x51c4ed);
    const signatureHeader = signatureHeaderOf(platform);
    const encoding = digestEncoding(platform);
    const failures: string[] = [];
    for (let i = 0; i < SIGNED_PER_PLATFORM; i++) {
      const delivery = signedDelivery(r, platform, secretFor(r, platform, 'signing-'));
      const others = Array.from({ length: r.int(3) }, () => secretFor(r, platform, 'other-'));
      const secrets = [...others];
      secrets.splice(r.int(others.length + 1), 0, delivery.secret);
      const options = { secrets, now: NOW, ...(platform.config ? { config: platform.config } : {}) };
      const verify = (request: WebhookRequest) => verifyWebhook(platform.platformId, request, options);

      const untouched = verify(delivery.request);
      if (!untouched.ok) failures.push(`seed ${seed} #${i}: signed delivery refused (${untouched.reason})`);

      if (Buffer.byteLength(delivery.request.rawBody) > 0) {
        const rawBody = flipBodyBit(r, delivery.request.rawBody);
        const result = verify({ ...delivery.request, rawBody });
        if (result.ok) failures.push(`seed ${seed} #${i}: accepted a body with a bit flipped`);
      }

      const headerName = Object.keys(delivery.request.headers).find(
        (name) => name.toLowerCase() === signatureHeader.toLowerCase(),
      ) as string;
      const headers = {
        ...delivery.request.headers,
        [headerName]: flipSignatureBit(r, delivery.request.headers[headerName] as string, encoding),
      };
      if (verify({ ...delivery.request, headers }).ok) {
        failures.push(`seed ${seed} #${i}: accepted a signature with a bit flipped`);
      }

      if (SIGNS_URL.has(platform.scheme as WebhookSchemeName)) {
        const url = `${delivery.request.url}${delivery.request.url.includes('?') ? '&' : '?'}x=1`;
        if (verify({ ...delivery.request, url }).ok) failures.push(`seed ${seed} #${i}: accepted a changed URL`);
      }
    }
    expect(failures).toEqual([]);
  });
});
