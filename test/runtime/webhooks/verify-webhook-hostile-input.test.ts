/**
 * `verifyWebhook` never throws. Whatever a JavaScript caller, a parsed JSON document or an attacker hands it — secrets
 * of the wrong type, header values that are not strings, a body that is not bytes, a URL that is not a URL, a clock
 * that is not a time — it answers `{ ok: false, reason }`: it fails closed, with a short reason that holds no secret.
 * Each case starts from a correctly signed delivery (accepted, see the first test) and breaks one thing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  verifyWebhook,
  verifyWebhookSignature,
  type WebhookRequest,
  type WebhookVerificationResult,
} from '../../../src/runtime/index.js';
import {
  CASES,
  NOW,
  registerConfiguredWebhooks,
  request,
  SIGNS_URL,
  secretOf,
  signed,
  signedRequest,
  WEBHOOK_PLATFORMS,
  type WebhookPlatform,
} from './webhook-scheme-cases.js';

beforeAll(registerConfiguredWebhooks);

/** `verifyWebhook` as untyped JavaScript sees it: any argument may be anything, or missing. */
const verifyUntyped = verifyWebhook as (...args: unknown[]) => WebhookVerificationResult;
const verifySignatureUntyped = verifyWebhookSignature as (...args: unknown[]) => WebhookVerificationResult;

const STRIPE_SECRET = CASES['stripe-v1'].secret;
const stripe = request('stripe-v1', signed('stripe-v1'));
const stripeOptions = { secrets: [STRIPE_SECRET], now: NOW };
const STRIPE_SIGNATURE = signed('stripe-v1').headers['Stripe-Signature'];

/** The Stripe delivery with its signature header set to `value` (or removed, for `undefined`). */
function stripeSignature(value: unknown): unknown {
  return { ...stripe, headers: { 'content-type': 'application/json', 'Stripe-Signature': value } };
}

/** The signed delivery of `scheme` with one request field replaced. */
function withField(scheme: keyof typeof CASES, field: keyof WebhookRequest, value: unknown): unknown {
  return { ...request(scheme, signed(scheme)), [field]: value };
}

function platformOf(scheme: keyof typeof CASES): string {
  return WEBHOOK_PLATFORMS.find((p) => p.scheme === scheme)?.platformId ?? 'acme';
}

/** The last-resort catch's reason: a case below that ends there has found a cause still to fix. */
const BACKSTOP_REASON = 'webhook could not be verified: unexpected input';

/** Calls `verify` and checks that it answered a failure instead of throwing; the failure for further checks. */
function expectRefusal(verify: () => WebhookVerificationResult, secrets: readonly string[]): string {
  let result: WebhookVerificationResult | undefined;
  expect(() => {
    result = verify();
  }).not.toThrow();
  expect(result).toEqual({ ok: false, reason: expect.any(String) });
  const reason = result?.ok === false ? result.reason : '';
  expect(reason.length).toBeGreaterThan(0);
  expect(reason.length).toBeLessThanOrEqual(160);
  for (const secret of secrets) expect(reason).not.toContain(secret);
  return reason;
}

const nullPrototype = Object.create(null) as object;

/** A configured `hmac-signed-content` platform's signed delivery, with some headers replaced. */
const SIGNED_CONTENT = (id: string) =>
  WEBHOOK_PLATFORMS.find((p) => p.platformId === id && p.scheme === 'hmac-signed-content') as WebhookPlatform;
function signedContentWith(id: string, headers: Record<string, unknown>): unknown[] {
  const platform = SIGNED_CONTENT(id);
  const delivery = signedRequest(platform);
  return [
    id,
    { ...delivery, headers: { ...delivery.headers, ...headers } },
    { secrets: [secretOf(platform)], now: NOW },
  ];
}

describe('verifyWebhook refuses, without throwing,', () => {
  it('(after accepting the untouched delivery every case starts from)', () => {
    expect(verifyWebhook('stripe', stripe, stripeOptions)).toEqual({ ok: true, timestamp: NOW });
  });

  const cases: Array<[string, { given: unknown[] }]> = [
    // The options and their secrets.
    ['options missing', { given: ['stripe', stripe] }],
    ['options that are null', { given: ['stripe', stripe, null] }],
    ['options that are a string', { given: ['stripe', stripe, STRIPE_SECRET] }],
    ['options without secrets', { given: ['stripe', stripe, { now: NOW }] }],
    ['secrets that are null', { given: ['stripe', stripe, { secrets: null, now: NOW }] }],
    ['secrets given as a string', { given: ['stripe', stripe, { secrets: STRIPE_SECRET, now: NOW }] }],
    ['secrets given as a Set', { given: ['stripe', stripe, { secrets: new Set([STRIPE_SECRET]), now: NOW }] }],
    [
      'secrets given as an array-like object',
      { given: ['stripe', stripe, { secrets: { 0: STRIPE_SECRET, length: 1 }, now: NOW }] },
    ],
    ['secrets given as a Buffer', { given: ['stripe', stripe, { secrets: Buffer.from(STRIPE_SECRET), now: NOW }] }],
    ['an empty secrets array', { given: ['stripe', stripe, { secrets: [], now: NOW }] }],
    ['secrets that are all empty strings', { given: ['stripe', stripe, { secrets: ['', ''], now: NOW }] }],
    ['secrets that are numbers', { given: ['stripe', stripe, { secrets: [1, 2], now: NOW }] }],
    ['secrets that are Buffers', { given: ['stripe', stripe, { secrets: [Buffer.from(STRIPE_SECRET)], now: NOW }] }],
    // A list with one good secret and junk beside it is refused whole: junk means a misconfiguration (a secret that
    // failed to decrypt, a list split wrongly), and a list we cannot trust as a whole does not verify anything.
    ['the right secret beside a null', { given: ['stripe', stripe, { secrets: [STRIPE_SECRET, null], now: NOW }] }],
    [
      'the right secret beside an empty string',
      { given: ['stripe', stripe, { secrets: ['', STRIPE_SECRET], now: NOW }] },
    ],
    ['the right secret beside an object', { given: ['stripe', stripe, { secrets: [{}, STRIPE_SECRET], now: NOW }] }],
    // The clock (every scheme is covered by the table below).
    ['now that is a number', { given: ['stripe', stripe, { ...stripeOptions, now: NOW.getTime() }] }],
    ['now that is null', { given: ['stripe', stripe, { ...stripeOptions, now: null }] }],
    // The request itself.
    ['a request that is missing', { given: ['stripe', undefined, stripeOptions] }],
    ['a request that is null', { given: ['stripe', null, stripeOptions] }],
    ['a request that is a string', { given: ['stripe', JSON.stringify(stripe), stripeOptions] }],
    // Headers.
    ['headers that are null', { given: ['stripe', { ...stripe, headers: null }, stripeOptions] }],
    ['headers that are missing', { given: ['stripe', { ...stripe, headers: undefined }, stripeOptions] }],
    [
      'headers that are a string',
      { given: ['stripe', { ...stripe, headers: `Stripe-Signature: ${STRIPE_SIGNATURE}` }, stripeOptions] },
    ],
    ['headers that are a number', { given: ['stripe', { ...stripe, headers: 42 }, stripeOptions] }],
    [
      'headers that are an array of name/value pairs',
      { given: ['stripe', { ...stripe, headers: ['Stripe-Signature', STRIPE_SIGNATURE] }, stripeOptions] },
    ],
    ['a missing signature header', { given: ['stripe', stripeSignature(undefined), stripeOptions] }],
    ['a null signature header', { given: ['stripe', stripeSignature(null), stripeOptions] }],
    ['a numeric signature header', { given: ['stripe', stripeSignature(1_748_779_200), stripeOptions] }],
    ['a boolean signature header', { given: ['stripe', stripeSignature(true), stripeOptions] }],
    ['an object signature header', { given: ['stripe', stripeSignature({ t: 1, v1: 'ab' }), stripeOptions] }],
    ['a null-prototype object signature header', { given: ['stripe', stripeSignature(nullPrototype), stripeOptions] }],
    ['a symbol signature header', { given: ['stripe', stripeSignature(Symbol('sig')), stripeOptions] }],
    ['a signature header array of numbers', { given: ['stripe', stripeSignature([1, 2]), stripeOptions] }],
    ['a signature header array holding null', { given: ['stripe', stripeSignature([null]), stripeOptions] }],
    [
      'a signature header array of null-prototype objects',
      { given: ['stripe', stripeSignature([nullPrototype]), stripeOptions] },
    ],
    [
      'the right signature beside a number in one header',
      { given: ['stripe', stripeSignature([STRIPE_SIGNATURE, 7]), stripeOptions] },
    ],
    [
      'a null timestamp header (slack)',
      {
        given: [
          'slack',
          withField('slack-v0', 'headers', { ...signed('slack-v0').headers, 'X-Slack-Request-Timestamp': null }),
          { secrets: [CASES['slack-v0'].secret], now: NOW },
        ],
      },
    ],
    [
      'a numeric timestamp header (slack)',
      {
        given: [
          'slack',
          withField('slack-v0', 'headers', {
            ...signed('slack-v0').headers,
            'X-Slack-Request-Timestamp': NOW.getTime() / 1000,
          }),
          { secrets: [CASES['slack-v0'].secret], now: NOW },
        ],
      },
    ],
    [
      'an object delivery id header (standard-webhooks)',
      {
        given: [
          'acme',
          withField('standard-webhooks', 'headers', { ...signed('standard-webhooks').headers, 'webhook-id': {} }),
          { secrets: [CASES['standard-webhooks'].secret], now: NOW, config: { scheme: 'standard-webhooks' } },
        ],
      },
    ],
    // The body.
    ['a missing body', { given: ['stripe', { ...stripe, rawBody: undefined }, stripeOptions] }],
    ['a null body', { given: ['stripe', { ...stripe, rawBody: null }, stripeOptions] }],
    ['a numeric body', { given: ['stripe', { ...stripe, rawBody: 42 }, stripeOptions] }],
    [
      'a parsed JSON body',
      { given: ['stripe', { ...stripe, rawBody: JSON.parse(CASES['stripe-v1'].rawBody) }, stripeOptions] },
    ],
    [
      'a body given as an array of bytes',
      { given: ['stripe', { ...stripe, rawBody: [...Buffer.from(stripe.rawBody)] }, stripeOptions] },
    ],
    [
      'a body given as an ArrayBuffer',
      { given: ['stripe', { ...stripe, rawBody: new ArrayBuffer(4) }, stripeOptions] },
    ],
    [
      'a body given as a Float64Array',
      { given: ['stripe', { ...stripe, rawBody: new Float64Array(2) }, stripeOptions] },
    ],
    [
      'a body whose buffer was transferred away',
      { given: ['stripe', { ...stripe, rawBody: detachedBytes() }, stripeOptions] },
    ],
    // The method.
    ['a missing method', { given: ['stripe', { ...stripe, method: undefined }, stripeOptions] }],
    ['a null method', { given: ['stripe', { ...stripe, method: null }, stripeOptions] }],
    ['an empty method', { given: ['stripe', { ...stripe, method: '' }, stripeOptions] }],
    ['a numeric method', { given: ['stripe', { ...stripe, method: 1 }, stripeOptions] }],
    [
      'a null-prototype object method (hubspot)',
      {
        given: [
          'hubspot',
          withField('hubspot-v3', 'method', nullPrototype),
          { secrets: [CASES['hubspot-v3'].secret], now: NOW },
        ],
      },
    ],
    // The URL, where the scheme signs it.
    ...[...SIGNS_URL].flatMap((scheme) => {
      const options = { secrets: [CASES[scheme].secret], now: NOW };
      const platformId = platformOf(scheme);
      return [
        [
          `a URL that is not a URL (${scheme})`,
          { given: [platformId, withField(scheme, 'url', 'not a url'), options] },
        ],
        [`a relative URL (${scheme})`, { given: [platformId, withField(scheme, 'url', '/webhooks/in'), options] }],
        [`a missing URL (${scheme})`, { given: [platformId, withField(scheme, 'url', undefined), options] }],
        [`a numeric URL (${scheme})`, { given: [platformId, withField(scheme, 'url', 42), options] }],
        [
          `a null-prototype object URL (${scheme})`,
          { given: [platformId, withField(scheme, 'url', nullPrototype), options] },
        ],
      ] satisfies Array<[string, { given: unknown[] }]>;
    }),
    // The platform and its config.
    ['an unknown platform id', { given: ['acme', stripe, stripeOptions] }],
    ['a platform without a webhook scheme', { given: ['google-ads', stripe, stripeOptions] }],
    ['a platform id inherited from Object.prototype', { given: ['__proto__', stripe, stripeOptions] }],
    ['a missing platform id', { given: [undefined, stripe, stripeOptions] }],
    ['a numeric platform id', { given: [42, stripe, stripeOptions] }],
    ['a symbol platform id', { given: [Symbol('stripe'), stripe, stripeOptions] }],
    ['a null-prototype object platform id', { given: [nullPrototype, stripe, stripeOptions] }],
    ['a config with an unknown scheme', { given: ['acme', stripe, { ...stripeOptions, config: { scheme: 'md5' } }] }],
    ['a config that is a string', { given: ['acme', stripe, { ...stripeOptions, config: 'stripe-v1' }] }],
    [
      'a config whose replay window is not a number',
      { given: ['stripe', stripe, { ...stripeOptions, config: { scheme: 'stripe-v1', toleranceSeconds: 'forever' } }] },
    ],
    [
      'a config whose replay window is NaN, for a stale delivery',
      {
        given: [
          'stripe',
          request('stripe-v1', signed('stripe-v1', { timestamp: new Date(NOW.getTime() - 3_600_000) })),
          { ...stripeOptions, config: { scheme: 'stripe-v1', toleranceSeconds: Number.NaN } },
        ],
      },
    ],
    [
      'a config whose replay window is infinite, for a stale delivery',
      {
        given: [
          'stripe',
          request('stripe-v1', signed('stripe-v1', { timestamp: new Date(NOW.getTime() - 3_600_000) })),
          { ...stripeOptions, config: { scheme: 'stripe-v1', toleranceSeconds: Number.POSITIVE_INFINITY } },
        ],
      },
    ],
    [
      'a config whose signature header name is a number',
      { given: ['stripe', stripe, { ...stripeOptions, config: { scheme: 'stripe-v1', signatureHeader: 7 } }] },
    ],
    [
      'an hmac-body config with an unknown algorithm',
      {
        given: [
          'acme',
          stripe,
          {
            ...stripeOptions,
            config: { scheme: 'hmac-body', algorithm: 'nope', encoding: 'hex', signatureHeader: 'Stripe-Signature' },
          },
        ],
      },
    ],
    [
      'an hmac-body config without a signature header',
      {
        given: [
          'acme',
          stripe,
          { ...stripeOptions, config: { scheme: 'hmac-body', algorithm: 'sha256', encoding: 'hex' } },
        ],
      },
    ],
  ];

  const signedContentCases: Array<[string, { given: unknown[] }]> = [
    [
      'a numeric Paddle-Signature header (hmac-signed-content)',
      { given: signedContentWith('paddle', { 'Paddle-Signature': 1 }) },
    ],
    [
      'a Paddle-Signature header sent twice (hmac-signed-content)',
      { given: signedContentWith('paddle', { 'Paddle-Signature': ['ts=1;h1=00', 'ts=2;h1=00'] }) },
    ],
    [
      'a Paddle-Signature header with a huge ts (hmac-signed-content)',
      { given: signedContentWith('paddle', { 'Paddle-Signature': `ts=${'9'.repeat(400)};h1=00` }) },
    ],
    [
      'a Paddle-Signature header of separators only (hmac-signed-content)',
      { given: signedContentWith('paddle', { 'Paddle-Signature': ';;==;' }) },
    ],
    [
      'a numeric BOX-DELIVERY-TIMESTAMP header (hmac-signed-content)',
      { given: signedContentWith('box', { 'BOX-DELIVERY-TIMESTAMP': NOW.getTime() }) },
    ],
    [
      'a null-prototype object BOX-SIGNATURE-PRIMARY header (hmac-signed-content)',
      { given: signedContentWith('box', { 'BOX-SIGNATURE-PRIMARY': nullPrototype }) },
    ],
    [
      'an impossible BOX-DELIVERY-TIMESTAMP (hmac-signed-content)',
      { given: signedContentWith('box', { 'BOX-DELIVERY-TIMESTAMP': '2016-13-45T99:99:99Z' }) },
    ],
    [
      'a hmac-signed-content config without its content',
      {
        given: [
          'acme',
          stripe,
          {
            ...stripeOptions,
            config: { scheme: 'hmac-signed-content', algorithm: 'sha256', encoding: 'hex', signatureHeader: 'X' },
          },
        ],
      },
    ],
    [
      'a hmac-signed-content config whose signature list is a string',
      {
        given: [
          'acme',
          stripe,
          {
            ...stripeOptions,
            config: {
              scheme: 'hmac-signed-content',
              algorithm: 'sha256',
              encoding: 'hex',
              content: '{body}',
              signatureHeader: 'Stripe-Signature',
              signatureList: 't=,v1=',
            },
          },
        ],
      },
    ],
    [
      'a hmac-signed-content config whose content is an object, not text',
      {
        given: [
          'acme',
          stripe,
          {
            ...stripeOptions,
            config: {
              scheme: 'hmac-signed-content',
              algorithm: 'sha256',
              encoding: 'hex',
              signatureHeader: 'Stripe-Signature',
              content: { toString: () => '{body}' },
            },
          },
        ],
      },
    ],
  ];

  it.each([...cases, ...signedContentCases])('%s', (_name, { given }) => {
    const secrets = Object.values(CASES).map((c) => c.secret);
    expect(expectRefusal(() => verifyUntyped(...given), secrets)).not.toBe(BACKSTOP_REASON);
  });
});

describe('an invalid clock fails closed instead of switching the replay window off', () => {
  const invalidNows: Array<[string, unknown]> = [
    ['an Invalid Date', new Date(Number.NaN)],
    ['a Date parsed from garbage', new Date('not a date')],
    ['an ISO string', NOW.toISOString()],
    ['NaN', Number.NaN],
    ['a Date-like object', { getTime: () => NOW.getTime() }],
  ];
  const cases = WEBHOOK_PLATFORMS.flatMap((platform) =>
    invalidNows.map(([what, now]) => [`now is ${what} (${platform.scheme})`, { platform, now }] as const),
  );

  it.each(cases)('%s', (_name, { platform, now }) => {
    const options = { secrets: [secretOf(platform)], now, ...(platform.config ? { config: platform.config } : {}) };
    expect(verifyWebhook(platform.platformId, signedRequest(platform), { ...options, now: NOW }).ok).toBe(true);
    const reason = expectRefusal(() => verifyUntyped(platform.platformId, signedRequest(platform), options), []);
    expect(reason).toBe('now must be a valid Date');
  });
});

describe('junk in headers the scheme does not read does not stop a valid delivery', () => {
  const junk: Array<[string, unknown]> = [
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['an object', { a: 1 }],
    ['a null-prototype object', nullPrototype],
    ['an array of numbers', [1, 2]],
    ['a symbol', Symbol('x')],
  ];

  it.each(junk)('an unrelated header that is %s', (_name, value) => {
    const headers = { ...stripe.headers, 'X-Forwarded-For': value };
    expect(verifyUntyped('stripe', { ...stripe, headers }, stripeOptions)).toEqual({ ok: true, timestamp: NOW });
  });
});

describe('the last-resort catch', () => {
  it('turns an exception thrown while verifying into a failure whose reason holds no secret', () => {
    const headers = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error(`boom: ${STRIPE_SECRET}`);
        },
      },
    );
    const reason = expectRefusal(() => verifyUntyped('stripe', { ...stripe, headers }, stripeOptions), [STRIPE_SECRET]);
    expect(reason).toBe(BACKSTOP_REASON);
  });

  it('turns an exception thrown by the options into a failure', () => {
    const options = {
      get secrets(): never {
        throw new Error(STRIPE_SECRET);
      },
      now: NOW,
    };
    expect(expectRefusal(() => verifyUntyped('stripe', stripe, options), [STRIPE_SECRET])).toBe(BACKSTOP_REASON);
  });
});

describe('verifyWebhookSignature refuses, without throwing,', () => {
  const cases: Array<[string, { given: unknown[] }]> = [
    ['an unknown scheme', { given: ['md5', undefined, stripe, stripeOptions] }],
    ['a symbol scheme', { given: [Symbol('stripe-v1'), undefined, stripe, stripeOptions] }],
    ['a null-prototype object scheme', { given: [nullPrototype, undefined, stripe, stripeOptions] }],
    ['options missing', { given: ['stripe-v1', undefined, stripe] }],
    ['secrets given as a string', { given: ['stripe-v1', undefined, stripe, { secrets: STRIPE_SECRET, now: NOW }] }],
    ['a request that is null', { given: ['stripe-v1', undefined, null, stripeOptions] }],
    [
      'now is an Invalid Date',
      { given: ['stripe-v1', undefined, stripe, { ...stripeOptions, now: new Date(Number.NaN) }] },
    ],
    ['a config that is a number', { given: ['stripe-v1', 42, stripe, stripeOptions] }],
  ];

  it.each(cases)('%s', (_name, { given }) => {
    expect(expectRefusal(() => verifySignatureUntyped(...given), [STRIPE_SECRET])).not.toBe(BACKSTOP_REASON);
  });
});

/** A Uint8Array whose ArrayBuffer has been transferred to another owner, leaving the view detached. */
function detachedBytes(): Uint8Array {
  const bytes = new Uint8Array(Buffer.from(stripe.rawBody));
  structuredClone(bytes.buffer, { transfer: [bytes.buffer] });
  return bytes;
}
