/**
 * `hmac-signed-content`: an HMAC over a signed string declared in config, for the vendors that sign a timestamp (and
 * a delivery id) with the body. Each catalogue platform on it is checked against its vendor's documented construction
 * computed here with node:crypto (not with the scheme's own signer), then for replays, tampering, rotation and
 * malformed input; invalid configs are refused, never thrown on.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type PlatformWebhookConfig,
  verifyWebhook,
  type WebhookRequest,
  type WebhookVerificationResult,
} from '../../../src/runtime/index.js';
import {
  type GenericSignedContentConfig,
  signedContentConfigProblem,
} from '../../../src/runtime/webhooks/signed-content-hmac-scheme.js';
import { lookupWebhookConfig } from '../../../src/runtime/webhooks/webhook-config-registry.js';
import { HMAC_SIGNED_CONTENT_CONFIG, signWithConfig, WEBHOOK_PLATFORMS } from './webhook-scheme-cases.js';

const BODY = '{"event_id":"evt_01","event_type":"transaction.completed","data":{"name":"Zoë"}}';
const URL = 'https://hooks.engarde.test/webhooks/in';

const hmac = (algorithm: string, key: string, data: string, encoding: 'hex' | 'base64') =>
  createHmac(algorithm, key).update(data).digest(encoding);

function post(headers: Record<string, unknown>, rawBody: string = BODY): WebhookRequest {
  return { method: 'POST', url: URL, headers: headers as WebhookRequest['headers'], rawBody };
}

// ---------------------------------------------------------------------------------------------------------------
// Paddle: Paddle-Signature: ts=<unix seconds>;h1=<hex HMAC-SHA256 of "<ts>:<raw body>">, five second window.
// https://developer.paddle.com/webhooks/signature-verification

const PADDLE_SECRET = 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI';
const PADDLE_TS = 1_671_552_777;
const PADDLE_NOW = new Date(PADDLE_TS * 1000);
const paddleH1 = (secret: string, ts: number | string = PADDLE_TS, body = BODY) =>
  hmac('sha256', secret, `${ts}:${body}`, 'hex');
const paddle = (header: unknown, body = BODY) => post({ 'Paddle-Signature': header }, body);
const verifyPaddle = (request: WebhookRequest, secrets = [PADDLE_SECRET], now = PADDLE_NOW) =>
  verifyWebhook('paddle', request, { secrets, now });

// Box: BOX-SIGNATURE-PRIMARY / -SECONDARY = base64 HMAC-SHA256 of raw body + BOX-DELIVERY-TIMESTAMP (RFC 3339),
// keyed with the app's primary / secondary signature key; older than 10 minutes is refused.
// https://developer.box.com/guides/webhooks/handle/setup-signatures

const BOX_PRIMARY = 'SamplePrimaryKey0123456789abcdef';
const BOX_SECONDARY = 'SampleSecondaryKeyfedcba98765432';
const BOX_TIMESTAMP = '2016-07-11T10:10:33-07:00';
const BOX_NOW = new Date('2016-07-11T17:12:00Z');
const boxSignature = (key: string, timestamp = BOX_TIMESTAMP, body = BODY) =>
  hmac('sha256', key, `${body}${timestamp}`, 'base64');
const boxHeaders = (overrides: Record<string, unknown> = {}) => ({
  'BOX-DELIVERY-ID': '673a081b-bb4b-4d45-b4f1-4131a29c1d07',
  'BOX-DELIVERY-TIMESTAMP': BOX_TIMESTAMP,
  'BOX-SIGNATURE-PRIMARY': boxSignature(BOX_PRIMARY),
  'BOX-SIGNATURE-SECONDARY': boxSignature(BOX_SECONDARY),
  'BOX-SIGNATURE-VERSION': '1',
  'BOX-SIGNATURE-ALGORITHM': 'HmacSHA256',
  ...overrides,
});
const verifyBox = (request: WebhookRequest, secrets = [BOX_PRIMARY], now = BOX_NOW) =>
  verifyWebhook('box', request, { secrets, now });

type Case = [string, { verify: () => WebhookVerificationResult; want: boolean | string }];

function check(verify: () => WebhookVerificationResult, want: boolean | string) {
  const result = verify();
  if (typeof want === 'boolean') expect(result.ok, JSON.stringify(result)).toBe(want);
  else expect(result).toEqual({ ok: false, reason: want });
}

describe('Paddle, by its documented construction', () => {
  const cases: Case[] = [
    [
      'a header computed from the docs verifies, with its timestamp',
      { verify: () => verifyPaddle(paddle(`ts=${PADDLE_TS};h1=${paddleH1(PADDLE_SECRET)}`)), want: true },
    ],
    [
      'a rotation: any of several h1 entries may match',
      {
        verify: () =>
          verifyPaddle(paddle(`ts=${PADDLE_TS};h1=${paddleH1('pdl_old_key')};h1=${paddleH1(PADDLE_SECRET)}`)),
        want: true,
      },
    ],
    [
      'a rotation: the old and the new secret configured, the delivery signed with the old',
      {
        verify: () =>
          verifyPaddle(paddle(`ts=${PADDLE_TS};h1=${paddleH1('pdl_old_key')}`), [PADDLE_SECRET, 'pdl_old_key']),
        want: true,
      },
    ],
    [
      'a signature made with another secret is refused',
      {
        verify: () => verifyPaddle(paddle(`ts=${PADDLE_TS};h1=${paddleH1('pdl_other')}`)),
        want: 'Paddle-Signature does not match the request',
      },
    ],
    [
      'a tampered body is refused',
      {
        verify: () => verifyPaddle(paddle(`ts=${PADDLE_TS};h1=${paddleH1(PADDLE_SECRET)}`, BODY.replace('01', '02'))),
        want: 'Paddle-Signature does not match the request',
      },
    ],
    [
      'a tampered timestamp is refused',
      {
        verify: () => verifyPaddle(paddle(`ts=${PADDLE_TS + 1};h1=${paddleH1(PADDLE_SECRET)}`)),
        want: 'Paddle-Signature does not match the request',
      },
    ],
    [
      "Stripe's separator ('<ts>.<body>') is not Paddle's and is refused",
      {
        verify: () =>
          verifyPaddle(paddle(`ts=${PADDLE_TS};h1=${hmac('sha256', PADDLE_SECRET, `${PADDLE_TS}.${BODY}`, 'hex')}`)),
        want: 'Paddle-Signature does not match the request',
      },
    ],
    [
      'five seconds old is inside the window',
      {
        verify: () =>
          verifyPaddle(
            paddle(`ts=${PADDLE_TS};h1=${paddleH1(PADDLE_SECRET)}`),
            undefined,
            new Date(PADDLE_NOW.getTime() + 5000),
          ),
        want: true,
      },
    ],
    [
      'six seconds old is a replay',
      {
        verify: () =>
          verifyPaddle(
            paddle(`ts=${PADDLE_TS};h1=${paddleH1(PADDLE_SECRET)}`),
            undefined,
            new Date(PADDLE_NOW.getTime() + 6000),
          ),
        want: 'timestamp outside tolerance',
      },
    ],
    [
      'six seconds in the future is refused too',
      {
        verify: () =>
          verifyPaddle(
            paddle(`ts=${PADDLE_TS};h1=${paddleH1(PADDLE_SECRET)}`),
            undefined,
            new Date(PADDLE_NOW.getTime() - 6000),
          ),
        want: 'timestamp outside tolerance',
      },
    ],
    [
      'no ts entry is malformed',
      {
        verify: () => verifyPaddle(paddle(`h1=${paddleH1(PADDLE_SECRET)}`)),
        want: 'malformed Paddle-Signature header: expected ts=…;h1=<hex digest>',
      },
    ],
    [
      'two ts entries are malformed (which one was signed?)',
      {
        verify: () => verifyPaddle(paddle(`ts=${PADDLE_TS};ts=${PADDLE_TS};h1=${paddleH1(PADDLE_SECRET)}`)),
        want: 'malformed Paddle-Signature header: expected ts=…;h1=<hex digest>',
      },
    ],
    [
      'a ts that is not Unix seconds is malformed',
      {
        verify: () =>
          verifyPaddle(paddle(`ts=2022-12-20T16:12:57Z;h1=${paddleH1(PADDLE_SECRET, '2022-12-20T16:12:57Z')}`)),
        want: 'malformed Paddle-Signature header: ts must be Unix seconds',
      },
    ],
    [
      'an h1 that is not hex is malformed',
      {
        verify: () => verifyPaddle(paddle(`ts=${PADDLE_TS};h1=not-hex`)),
        want: 'malformed Paddle-Signature header: expected ts=…;h1=<hex digest>',
      },
    ],
    [
      'no Paddle-Signature header is refused, naming it',
      { verify: () => verifyPaddle(post({})), want: 'missing Paddle-Signature header' },
    ],
    [
      'no secret fails closed',
      {
        verify: () => verifyPaddle(paddle(`ts=${PADDLE_TS};h1=${paddleH1(PADDLE_SECRET)}`), []),
        want: 'no webhook secret configured',
      },
    ],
  ];

  it.each(cases)('%s', (_name, { verify, want }) => check(verify, want));

  it('answers the signed time', () => {
    expect(verifyPaddle(paddle(`ts=${PADDLE_TS};h1=${paddleH1(PADDLE_SECRET)}`))).toEqual({
      ok: true,
      timestamp: PADDLE_NOW,
    });
  });

  it('signs what the documented construction computes (the sandbox sends this)', () => {
    const config = lookupWebhookConfig('paddle') as GenericSignedContentConfig;
    const headers = signWithConfig(config, { secret: PADDLE_SECRET, rawBody: BODY, timestamp: PADDLE_NOW });
    expect(headers).toEqual({ 'Paddle-Signature': `ts=${PADDLE_TS};h1=${paddleH1(PADDLE_SECRET)}` });
  });
});

describe('Box, by its documented construction', () => {
  const cases: Case[] = [
    [
      'the primary signature verifies with the primary key',
      { verify: () => verifyBox(post(boxHeaders())), want: true },
    ],
    [
      'the secondary signature verifies with the secondary key (a rotation)',
      { verify: () => verifyBox(post(boxHeaders()), [BOX_SECONDARY]), want: true },
    ],
    [
      'either key configured verifies while the other is being replaced',
      {
        verify: () =>
          verifyBox(post(boxHeaders({ 'BOX-SIGNATURE-PRIMARY': boxSignature('a-brand-new-key') })), [
            'a-brand-new-key-not-yet-configured',
            BOX_SECONDARY,
          ]),
        want: true,
      },
    ],
    [
      'without a secondary signature, the primary alone verifies',
      { verify: () => verifyBox(post(boxHeaders({ 'BOX-SIGNATURE-SECONDARY': undefined }))), want: true },
    ],
    [
      'a signature made with another key is refused',
      {
        verify: () => verifyBox(post(boxHeaders()), ['not-a-box-key']),
        want: 'BOX-SIGNATURE-PRIMARY does not match the request',
      },
    ],
    [
      'a tampered body is refused',
      {
        verify: () => verifyBox(post(boxHeaders(), BODY.replace('Zoë', 'Zoe'))),
        want: 'BOX-SIGNATURE-PRIMARY does not match the request',
      },
    ],
    [
      'a tampered timestamp is refused',
      {
        verify: () => verifyBox(post(boxHeaders({ 'BOX-DELIVERY-TIMESTAMP': '2016-07-11T10:10:34-07:00' }))),
        want: 'BOX-SIGNATURE-PRIMARY does not match the request',
      },
    ],
    [
      'the timestamp signed before the body (the wrong order) is refused',
      {
        verify: () =>
          verifyBox(
            post(
              boxHeaders({
                'BOX-SIGNATURE-PRIMARY': hmac('sha256', BOX_PRIMARY, `${BOX_TIMESTAMP}${BODY}`, 'base64'),
                'BOX-SIGNATURE-SECONDARY': undefined,
              }),
            ),
          ),
        want: 'BOX-SIGNATURE-PRIMARY does not match the request',
      },
    ],
    [
      'ten minutes old is inside the window',
      { verify: () => verifyBox(post(boxHeaders()), undefined, new Date('2016-07-11T17:20:33Z')), want: true },
    ],
    [
      'ten minutes and a second old is a replay',
      {
        verify: () => verifyBox(post(boxHeaders()), undefined, new Date('2016-07-11T17:20:34Z')),
        want: 'timestamp outside tolerance',
      },
    ],
    [
      'a timestamp that is not RFC 3339 is malformed',
      {
        verify: () => {
          const timestamp = 'Mon, 11 Jul 2016 17:10:33 GMT';
          const signature = boxSignature(BOX_PRIMARY, timestamp);
          return verifyBox(
            post(boxHeaders({ 'BOX-DELIVERY-TIMESTAMP': timestamp, 'BOX-SIGNATURE-PRIMARY': signature })),
          );
        },
        want: 'malformed BOX-DELIVERY-TIMESTAMP header: expected an RFC 3339 time',
      },
    ],
    [
      'no timestamp header is refused, naming it',
      {
        verify: () => verifyBox(post(boxHeaders({ 'BOX-DELIVERY-TIMESTAMP': undefined }))),
        want: 'missing BOX-DELIVERY-TIMESTAMP header',
      },
    ],
    [
      'no primary signature is refused, naming it (the secondary alone is not the documented form)',
      {
        verify: () => verifyBox(post(boxHeaders({ 'BOX-SIGNATURE-PRIMARY': undefined })), [BOX_SECONDARY]),
        want: 'missing BOX-SIGNATURE-PRIMARY header',
      },
    ],
    [
      'a secondary signature sent twice is refused',
      {
        verify: () => verifyBox(post(boxHeaders({ 'BOX-SIGNATURE-SECONDARY': [boxSignature(BOX_SECONDARY), 'AAAA'] }))),
        want: 'multiple BOX-SIGNATURE-SECONDARY headers',
      },
    ],
    [
      'a garbled secondary signature is refused',
      {
        verify: () => verifyBox(post(boxHeaders({ 'BOX-SIGNATURE-SECONDARY': 'not base64!' }))),
        want: 'malformed BOX-SIGNATURE-SECONDARY header: expected <base64 digest>',
      },
    ],
  ];

  it.each(cases)('%s', (_name, { verify, want }) => check(verify, want));

  it('answers the delivery id and the signed time', () => {
    expect(verifyBox(post(boxHeaders()))).toEqual({
      ok: true,
      deliveryId: '673a081b-bb4b-4d45-b4f1-4131a29c1d07',
      timestamp: new Date('2016-07-11T17:10:33Z'),
    });
  });

  it('signs what the documented construction computes (the sandbox sends this)', () => {
    const config = lookupWebhookConfig('box') as GenericSignedContentConfig;
    const now = new Date('2016-07-11T17:10:33Z');
    const headers = signWithConfig(config, { secret: BOX_PRIMARY, rawBody: BODY, timestamp: now, deliveryId: 'd-1' });
    expect(headers).toEqual({
      'BOX-DELIVERY-ID': 'd-1',
      'BOX-DELIVERY-TIMESTAMP': '2016-07-11T17:10:33Z',
      'BOX-SIGNATURE-PRIMARY': boxSignature(BOX_PRIMARY, '2016-07-11T17:10:33Z'),
    });
  });
});

describe('a signed delivery id ({id} in the content)', () => {
  const config = HMAC_SIGNED_CONTENT_CONFIG;
  const now = new Date('2025-06-01T12:00:00Z');
  const ms = String(now.getTime());
  const digest = (id: string, ts = ms) => `v1=${hmac('sha512', 'acme-secret', `${id}.${ts}.${BODY}`, 'hex')}`;
  const headers = (overrides: Record<string, unknown> = {}) => ({
    'X-Acme-Delivery': 'msg_1',
    'X-Acme-Timestamp': ms,
    'X-Acme-Signature': digest('msg_1'),
    ...overrides,
  });
  const verify = (h: Record<string, unknown>) =>
    verifyWebhook('acme', post(h), { secrets: ['acme-secret'], now, config });

  const cases: Case[] = [
    ['the documented construction verifies', { verify: () => verify(headers()), want: true }],
    [
      'another delivery id is refused',
      {
        verify: () => verify(headers({ 'X-Acme-Delivery': 'msg_2' })),
        want: 'X-Acme-Signature does not match the request',
      },
    ],
    [
      'no delivery id header is refused, naming it',
      { verify: () => verify(headers({ 'X-Acme-Delivery': undefined })), want: 'missing X-Acme-Delivery header' },
    ],
    [
      'a digest without its prefix is malformed',
      {
        verify: () => verify(headers({ 'X-Acme-Signature': digest('msg_1').slice(3) })),
        want: 'malformed X-Acme-Signature header: expected v1=<hex digest>',
      },
    ],
    [
      'a timestamp in seconds where milliseconds are documented is outside the window',
      {
        verify: () => {
          const seconds = String(Math.floor(now.getTime() / 1000));
          return verify(headers({ 'X-Acme-Timestamp': seconds, 'X-Acme-Signature': digest('msg_1', seconds) }));
        },
        want: 'timestamp outside tolerance',
      },
    ],
  ];

  it.each(cases)('%s', (_name, { verify: run, want }) => check(run, want));

  it('answers the delivery id', () => {
    expect(verify(headers())).toEqual({ ok: true, deliveryId: 'msg_1', timestamp: now });
  });
});

describe('every hmac-signed-content platform round-trips what it signs, and refuses it tampered', () => {
  const platforms = WEBHOOK_PLATFORMS.filter((p) => p.scheme === 'hmac-signed-content');
  const secret = 'round-trip-secret';

  it('covers the catalogue platforms that use the scheme', () => {
    expect(platforms.map((p) => p.platformId)).toEqual(expect.arrayContaining(['paddle', 'box', 'acme']));
  });

  it.each(platforms.map((p) => [p.label, p] as const))('%s', (_label, platform) => {
    const config = platform.config as GenericSignedContentConfig;
    const now = new Date('2025-06-01T12:00:00Z');
    const headers = signWithConfig(config, { secret, rawBody: BODY, timestamp: now });
    const options = { secrets: ['an-older-secret', secret], now, config: config as PlatformWebhookConfig };
    expect(verifyWebhook(platform.platformId, post(headers), options).ok).toBe(true);
    expect(verifyWebhook(platform.platformId, post(headers, `${BODY} `), options).ok).toBe(false);
    expect(verifyWebhook(platform.platformId, post(headers), { ...options, secrets: ['an-older-secret'] }).ok).toBe(
      false,
    );
    const late = new Date(now.getTime() + ((config.toleranceSeconds ?? 300) + 1) * 1000);
    expect(verifyWebhook(platform.platformId, post(headers), { ...options, now: late })).toEqual({
      ok: false,
      reason: 'timestamp outside tolerance',
    });
  });
});

describe('a hmac-signed-content config that cannot be trusted is refused, not thrown on', () => {
  const base = {
    scheme: 'hmac-signed-content',
    algorithm: 'sha256',
    encoding: 'hex',
    content: '{timestamp}.{body}',
    signatureHeader: 'X-Sig',
    timestampHeader: 'X-Ts',
  } as const;
  const cases: Array<[string, { config: Record<string, unknown>; want: string | undefined }]> = [
    ['a valid config has no problem', { config: base, want: undefined }],
    [
      'an unknown algorithm',
      { config: { ...base, algorithm: 'md5' }, want: 'algorithm must be sha1, sha256 or sha512' },
    ],
    ['an unknown encoding', { config: { ...base, encoding: 'base32' }, want: 'encoding must be hex or base64' }],
    [
      'no signature header',
      { config: { ...base, signatureHeader: '' }, want: 'signatureHeader must be a header name' },
    ],
    [
      'a content without the body',
      { config: { ...base, content: '{timestamp}' }, want: 'content must sign the {body}' },
    ],
    [
      'a content with the body twice',
      { config: { ...base, content: '{body}{body}' }, want: 'content may use {body} once' },
    ],
    [
      'an unknown placeholder',
      {
        config: { ...base, content: '{timestamp}.{url}.{body}' },
        want: 'content may use only {timestamp}, {body} and {id}, not {url}',
      },
    ],
    [
      'a signed timestamp with nowhere to read it',
      {
        config: { ...base, timestampHeader: undefined },
        want: '{timestamp} in content needs timestampHeader or signatureList.timestampKey',
      },
    ],
    [
      'a timestamp that is read but not signed',
      { config: { ...base, content: '{body}' }, want: 'a timestamp that content does not sign cannot stop replays' },
    ],
    [
      'a timestamp in two places',
      {
        config: { ...base, signatureList: { separator: ',', signatureKey: 's', timestampKey: 't' } },
        want: 'the timestamp is either in timestampHeader or in signatureList.timestampKey, not both',
      },
    ],
    [
      'a signed id without its header',
      { config: { ...base, content: '{id}.{timestamp}.{body}' }, want: '{id} in content needs deliveryIdHeader' },
    ],
    [
      'list separators that are the same',
      {
        config: {
          ...base,
          timestampHeader: undefined,
          signatureList: { separator: '=', signatureKey: 's', timestampKey: 't' },
        },
        want: 'signatureList separators must differ',
      },
    ],
    [
      'an unknown timestamp format',
      {
        config: { ...base, timestampFormat: 'iso-week' },
        want: 'timestampFormat must be unix-seconds, unix-millis or rfc3339',
      },
    ],
    [
      'an infinite replay window',
      {
        config: { ...base, toleranceSeconds: Number.POSITIVE_INFINITY },
        want: 'toleranceSeconds must be a finite number of seconds',
      },
    ],
    [
      'additional signature headers that are not names',
      { config: { ...base, additionalSignatureHeaders: [7] }, want: 'additionalSignatureHeaders must be header names' },
    ],
    ['a content that is not text', { config: { ...base, content: 42 }, want: 'content must be a template string' }],
  ];

  it.each(cases)('%s', (_name, { config, want }) => {
    expect(signedContentConfigProblem(config)).toBe(want);
    const ts = String(Math.floor(Date.now() / 1000));
    const request = post({ 'X-Sig': hmac('sha256', 's3cret', `${ts}.${BODY}`, 'hex'), 'X-Ts': ts });
    const run = () => verifyWebhook('acme', request, { secrets: ['s3cret'], config: config as PlatformWebhookConfig });
    expect(run).not.toThrow();
    expect(run()).toEqual(
      want === undefined
        ? { ok: true, timestamp: expect.any(Date) }
        : {
            ok: false,
            reason: `invalid webhook configuration: ${want}`,
          },
    );
  });
});
