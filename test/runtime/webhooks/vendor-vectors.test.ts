/**
 * Each scheme against an authority other than itself: the vendor's published example, the vendor's official SDK
 * (both directions: the SDK signs and we verify, we sign and the SDK verifies), or — where the vendor publishes
 * neither — an independent computation written here straight from the documented formula with node:crypto.
 * A round trip through our own signer alone would only prove the code agrees with itself.
 */
import { createHash, createHmac } from 'node:crypto';
import { sign as octokitSign, verify as octokitVerify } from '@octokit/webhooks-methods';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import {
  signWebhook,
  verifyWebhookSignature,
  type WebhookRequest,
  type WebhookSchemeName,
} from '../../../src/runtime/index.js';

function verify(scheme: WebhookSchemeName, request: Partial<WebhookRequest>, secrets: string[], now?: Date) {
  const full: WebhookRequest = {
    method: 'POST',
    url: 'https://hooks.engarde.test/in',
    headers: {},
    rawBody: '',
    ...request,
  };
  return verifyWebhookSignature(scheme, undefined, full, { secrets, ...(now ? { now } : {}) });
}

const hmacB64 = (algorithm: string, key: string, data: string) =>
  createHmac(algorithm, key).update(data).digest('base64');
const hmacHex = (algorithm: string, key: string, data: string) => createHmac(algorithm, key).update(data).digest('hex');

describe('stripe-v1 against the stripe SDK', () => {
  const stripe = new Stripe('sk_test_not_used_offline');
  const secret = 'whsec_test_secret';
  const payload = '{"id":"evt_test_webhook","object":"event","type":"customer.created"}';

  it('verifies a header made by stripe.webhooks.generateTestHeaderString', () => {
    const header = stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: 1_700_000_000 });
    const result = verify(
      'stripe-v1',
      { headers: { 'stripe-signature': header }, rawBody: payload },
      [secret],
      new Date(1_700_000_000_000),
    );
    expect(result).toEqual({ ok: true, timestamp: new Date(1_700_000_000_000) });
  });

  it('signs a header that stripe.webhooks.constructEvent accepts', () => {
    const now = new Date();
    const { headers } = signWebhook('stripe-v1', { secret, rawBody: payload, timestamp: now });
    const event = stripe.webhooks.constructEvent(payload, headers['Stripe-Signature'] as string, secret, 300);
    expect(event.id).toBe('evt_test_webhook');
  });

  it('accepts the second v1 of a header signed during a secret roll', () => {
    const t = 1_700_000_000;
    const oldHeader = stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_old', timestamp: t });
    const newHeader = stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: t });
    const header = `${oldHeader},${newHeader.split(',')[1]},v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39`;
    expect(
      verify('stripe-v1', { headers: { 'Stripe-Signature': header }, rawBody: payload }, [secret], new Date(t * 1000))
        .ok,
    ).toBe(true);
  });
});

describe('github-sha256 against GitHub docs and @octokit/webhooks-methods', () => {
  it('verifies GitHub\'s documented example (secret "It\'s a Secret to Everybody", body "Hello, World!")', () => {
    const headers = {
      'X-Hub-Signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    };
    expect(verify('github-sha256', { headers, rawBody: 'Hello, World!' }, ["It's a Secret to Everybody"]).ok).toBe(
      true,
    );
  });

  it('verifies a signature made by octokit sign()', async () => {
    const body = '{"action":"opened","number":1}';
    const headers = { 'x-hub-signature-256': await octokitSign('octo-secret', body), 'x-github-delivery': 'guid-1' };
    expect(verify('github-sha256', { headers, rawBody: body }, ['octo-secret'])).toEqual({
      ok: true,
      deliveryId: 'guid-1',
    });
  });

  it('signs what octokit verify() accepts', async () => {
    const body = '{"zen":"Design for failure."}';
    const { headers } = signWebhook('github-sha256', { secret: 'octo-secret', rawBody: body });
    expect(await octokitVerify('octo-secret', body, headers['X-Hub-Signature-256'] as string)).toBe(true);
  });
});

describe('meta-sha256 (same X-Hub-Signature-256 format as GitHub)', () => {
  const body = '{"object":"ad_account","entry":[{"id":"act_1","changes":[{"field":"with_issues_ad_objects"}]}]}';

  it('verifies the documented formula: sha256= + hex HMAC-SHA256(app secret, raw body)', () => {
    const headers = { 'X-Hub-Signature-256': `sha256=${hmacHex('sha256', 'app-secret', body)}` };
    expect(verify('meta-sha256', { headers, rawBody: body }, ['app-secret']).ok).toBe(true);
  });

  it('verifies a signature made by octokit sign(), which uses the identical format', async () => {
    const headers = { 'X-Hub-Signature-256': await octokitSign('app-secret', body) };
    expect(verify('meta-sha256', { headers, rawBody: body }, ['app-secret']).ok).toBe(true);
  });

  it('verifies escaped-unicode bytes as sent, without re-serializing', () => {
    const sent = '{"name":"Zo\\u00eb"}';
    const headers = { 'X-Hub-Signature-256': `sha256=${hmacHex('sha256', 'app-secret', sent)}` };
    expect(verify('meta-sha256', { headers, rawBody: sent }, ['app-secret']).ok).toBe(true);
    expect(verify('meta-sha256', { headers, rawBody: JSON.stringify(JSON.parse(sent)) }, ['app-secret']).ok).toBe(
      false,
    );
  });
});

describe('intercom-sha1 (documented formula, computed independently)', () => {
  it('verifies sha1= + hex HMAC-SHA1(client secret, raw body)', () => {
    const body = '{"type":"notification_event","topic":"conversation.user.created"}';
    const headers = { 'X-Hub-Signature': `sha1=${hmacHex('sha1', 'client-secret', body)}` };
    expect(verify('intercom-sha1', { headers, rawBody: body }, ['client-secret']).ok).toBe(true);
  });

  it('signs what the documented formula produces', () => {
    const { headers } = signWebhook('intercom-sha1', { secret: 'client-secret', rawBody: 'x' });
    expect(headers['X-Hub-Signature']).toBe(`sha1=${hmacHex('sha1', 'client-secret', 'x')}`);
  });
});

describe('slack-v0 against the worked example in "Verifying requests from Slack"', () => {
  const secret = '8f742231b10e8888abcd99yyyzzz85a5';
  const timestamp = '1531420618';
  const body =
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
  const signature = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
  const headers = { 'X-Slack-Request-Timestamp': timestamp, 'X-Slack-Signature': signature };

  it('verifies the documented signature', () => {
    expect(verify('slack-v0', { headers, rawBody: body }, [secret], new Date(1_531_420_618_000)).ok).toBe(true);
  });

  it('signs the documented signature', () => {
    const signed = signWebhook('slack-v0', { secret, rawBody: body, timestamp: new Date(1_531_420_618_000) });
    expect(signed.headers).toMatchObject(headers);
  });
});

describe('twilio-sha1 against the twilio SDK and its published test vectors', () => {
  const token = '12345';
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = {
    CallSid: 'CA1234567890ABCDE',
    Caller: '+14158675309',
    Digits: '1234',
    From: '+14158675309',
    To: '+18005551212',
  };
  const form = new URLSearchParams(params).toString();
  const formHeaders = (signature: string) => ({
    'X-Twilio-Signature': signature,
    'Content-Type': 'application/x-www-form-urlencoded',
  });
  const jsonBody = '{"property": "value", "boolean": true}';
  const bodyHash = '0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620';

  // Vectors from Twilio's security docs and the twilio-csharp/twilio-php RequestValidator tests.
  const vectors: Array<[string, { url: string; signature: string }]> = [
    ['the documented example', { url, signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=' }],
    ['a URL signed with :443 added', { url, signature: 'kvajT1Ptam85bY51eRf/AJRuM3w=' }],
    [
      'an http URL signed with :80 added',
      { url: 'http://mycompany.com/myapp.php?foo=1&bar=2', signature: '0ZXoZLH/DfblKGATFgpif+LLRf4=' },
    ],
    [
      'a custom port removed before signing',
      { url: 'https://mycompany.com:1234/myapp.php?foo=1&bar=2', signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=' },
    ],
    [
      'a custom port kept',
      { url: 'https://mycompany.com:1234/myapp.php?foo=1&bar=2', signature: 'CYn1h0gLBdNxDGkKJg6hYohgeD8=' },
    ],
    [
      'a mixed-case host kept as sent',
      { url: 'https://MyCompany.com/myapp.php?foo=1&bar=2', signature: 'g9IN/x4Cft2g517EjYvEvM/W7LU=' },
    ],
    [
      'credentials in the URL kept',
      {
        url: 'http://username:password@MyCompany.com/myapp.php?foo=1&bar=2',
        signature: 'PJ08CxXr7KLPjEQCTc8LkUSMwSM=',
      },
    ],
  ];

  it.each(vectors)('verifies %s', (_name, { url: requestUrl, signature }) => {
    expect(verify('twilio-sha1', { url: requestUrl, headers: formHeaders(signature), rawBody: form }, [token]).ok).toBe(
      true,
    );
  });

  it('verifies repeated parameters (each distinct value, sorted) from the published vector', () => {
    const body = 'Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234&Digits=1234';
    const result = verify('twilio-sha1', { url, headers: formHeaders('IK+Dwps556ElfBT0I3Rgjkr1wJU='), rawBody: body }, [
      token,
    ]);
    expect(result.ok).toBe(true);
  });

  it('verifies a JSON body through bodySHA256 (published vectors)', () => {
    const headers = (signature: string) => ({ 'X-Twilio-Signature': signature, 'Content-Type': 'application/json' });
    const withQuery = `${url}&bodySHA256=${bodyHash}`;
    const onlyHash = `https://mycompany.com/myapp.php?bodySHA256=${bodyHash}`;
    expect(
      verify('twilio-sha1', { url: withQuery, headers: headers('a9nBmqA0ju/hNViExpshrM61xv4='), rawBody: jsonBody }, [
        token,
      ]).ok,
    ).toBe(true);
    expect(
      verify('twilio-sha1', { url: onlyHash, headers: headers('y77kIzt2vzLz71DgmJGsen2scGs='), rawBody: jsonBody }, [
        token,
      ]).ok,
    ).toBe(true);
  });

  it('verifies a query-only request with the :443 port removed (twilio-java issue vector)', () => {
    const headers = { 'X-Twilio-Signature': 'PM+bjB+ITJ9a3LIYStKWOTMZMlU=' };
    const result = verify(
      'twilio-sha1',
      { method: 'GET', url: 'https://someurl.com:443/somepath?param1=client%3AAnonymous', headers },
      ['1234567890'],
    );
    expect(result.ok).toBe(true);
  });

  it('verifies a signature made by twilio.getExpectedTwilioSignature', () => {
    const signature = twilio.getExpectedTwilioSignature(token, url, params);
    expect(verify('twilio-sha1', { url, headers: formHeaders(signature), rawBody: form }, [token]).ok).toBe(true);
  });

  it('signs a form post that twilio.validateRequest accepts', () => {
    const signed = signWebhook('twilio-sha1', { secret: token, rawBody: form, url });
    expect(signed.url).toBe(url);
    expect(twilio.validateRequest(token, signed.headers['X-Twilio-Signature'] as string, signed.url, params)).toBe(
      true,
    );
  });

  it('signs a JSON post that twilio.validateRequestWithBody accepts', () => {
    const signed = signWebhook('twilio-sha1', {
      secret: token,
      rawBody: jsonBody,
      url,
      contentType: 'application/json',
    });
    expect(signed.url).toBe(`${url}&bodySHA256=${bodyHash}`);
    expect(
      twilio.validateRequestWithBody(token, signed.headers['X-Twilio-Signature'] as string, signed.url, jsonBody),
    ).toBe(true);
  });

  it('rejects a JSON body that does not match its bodySHA256', () => {
    const signed = signWebhook('twilio-sha1', {
      secret: token,
      rawBody: jsonBody,
      url,
      contentType: 'application/json',
    });
    const headers = { ...signed.headers, 'Content-Type': 'application/json' };
    expect(verify('twilio-sha1', { url: signed.url, headers, rawBody: `${jsonBody} ` }, [token])).toEqual({
      ok: false,
      reason: 'body does not match the bodySHA256 query parameter',
    });
  });

  it('rejects a non-form body without bodySHA256, which the signature would not cover', () => {
    const signature = twilio.getExpectedTwilioSignature(token, url, {});
    const headers = { 'X-Twilio-Signature': signature, 'Content-Type': 'application/json' };
    const result = verify('twilio-sha1', { url, headers, rawBody: jsonBody }, [token]);
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('bodySHA256') });
  });

  it('rejects the documented signature on another URL', () => {
    const result = verify(
      'twilio-sha1',
      { url: `${url}&extra=1`, headers: formHeaders('RSOYDt4T1cUTdK1PDd93/VVr8B8='), rawBody: form },
      [token],
    );
    expect(result.ok).toBe(false);
  });
});

describe('hubspot-v3 (documented formula, computed independently)', () => {
  const secret = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
  const body = '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000}]';
  const ts = '1700000000000';
  const now = new Date(1_700_000_000_000);

  it('verifies base64 HMAC-SHA256(client secret, method + uri + body + timestamp)', () => {
    const uri = 'https://www.example.com/webhook_uri';
    const headers = {
      'X-HubSpot-Signature-v3': hmacB64('sha256', secret, `POST${uri}${body}${ts}`),
      'X-HubSpot-Request-Timestamp': ts,
    };
    expect(verify('hubspot-v3', { url: uri, headers, rawBody: body }, [secret], now)).toEqual({
      ok: true,
      timestamp: now,
    });
  });

  it('decodes the documented percent-escapes of the URI before signing', () => {
    const received =
      'https://www.example.com/webhook_uri?email=jane%40example.com&tags=a%2Cb&q=%3A%2F%3F%21%24%27%28%29%2A%3B&keep=%20%26';
    const decoded = "https://www.example.com/webhook_uri?email=jane@example.com&tags=a,b&q=:/?!$'()*;&keep=%20%26";
    const headers = {
      'X-HubSpot-Signature-v3': hmacB64('sha256', secret, `POST${decoded}${body}${ts}`),
      'X-HubSpot-Request-Timestamp': ts,
    };
    expect(verify('hubspot-v3', { url: received, headers, rawBody: body }, [secret], now).ok).toBe(true);
    const signed = signWebhook('hubspot-v3', { secret, rawBody: body, url: received, timestamp: now });
    expect(signed.headers['X-HubSpot-Signature-v3']).toBe(headers['X-HubSpot-Signature-v3']);
  });

  it("also verifies the URI exactly as received, which is what HubSpot's Node SDK Signature.getSignature signs", () => {
    const uri = 'https://www.example.com/webhook_uri?email=jane%40example.com';
    // @hubspot/api-client Signature.getSignature('POST', 'v3', …): method + url + requestBody + timestamp.
    const headers = {
      'X-HubSpot-Signature-v3': hmacB64('sha256', secret, `POST${uri}${body}${ts}`),
      'X-HubSpot-Request-Timestamp': ts,
    };
    expect(verify('hubspot-v3', { url: uri, headers, rawBody: body }, [secret], now).ok).toBe(true);
  });

  it('signs the method it is given', () => {
    const uri = 'https://www.example.com/webhook_uri';
    const signed = signWebhook('hubspot-v3', { secret, rawBody: '', url: uri, method: 'get', timestamp: now });
    expect(signed.headers['X-HubSpot-Signature-v3']).toBe(hmacB64('sha256', secret, `GET${uri}${ts}`));
    expect(
      verify('hubspot-v3', { method: 'GET', url: uri, headers: signed.headers, rawBody: '' }, [secret], now).ok,
    ).toBe(true);
  });
});

describe('square-hmac-sha256 against the Square SDK test vectors (WebhooksHelper)', () => {
  const url = 'https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9';
  const key = 'Ibxx_5AKakO-3qeNVR61Dw';
  const body =
    '{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}';
  const header = (signature: string) => ({ 'x-square-hmacsha256-signature': signature });

  it('verifies the SDK test notification', () => {
    expect(
      verify(
        'square-hmac-sha256',
        { url, headers: header('GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4='), rawBody: body },
        [key],
      ).ok,
    ).toBe(true);
  });

  it('verifies the SDK vectors with unescaped and escaped characters', () => {
    const hooks = 'https://webhook.site/webhooks';
    const plain = '{"data":{"type":"webhooks","id":"fake_id"}}';
    const escaped = '{"data":{"type":"webhooks","id":">id<"}}';
    expect(
      verify(
        'square-hmac-sha256',
        { url: hooks, headers: header('W3FlCNk5IA3ZQ2LHTWoajvzfaDu/OwY2tNHIHC3IUOA='), rawBody: plain },
        ['signature-key'],
      ).ok,
    ).toBe(true);
    expect(
      verify(
        'square-hmac-sha256',
        { url: hooks, headers: header('Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U='), rawBody: escaped },
        ['signature-key'],
      ).ok,
    ).toBe(true);
  });

  it('rejects the SDK vector on another notification URL', () => {
    const other = 'https://webhook.site/79a4f3a-dcfa-49ee-bac5-9d0edad886b9';
    expect(
      verify(
        'square-hmac-sha256',
        { url: other, headers: header('GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4='), rawBody: body },
        [key],
      ).ok,
    ).toBe(false);
  });

  it('signs the SDK vector', () => {
    expect(signWebhook('square-hmac-sha256', { secret: key, rawBody: body, url }).headers).toEqual(
      header('GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4='),
    );
  });
});

describe('standard-webhooks against the specification vector and the standardwebhooks library', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const body = '{"test": 2432232314}';
  const timestamp = new Date(1_614_265_330_000);

  it('verifies the specification test vector', () => {
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    expect(verify('standard-webhooks', { headers, rawBody: body }, [secret], timestamp)).toEqual({
      ok: true,
      deliveryId: id,
      timestamp,
    });
  });

  it('signs the specification test vector', () => {
    const signed = signWebhook('standard-webhooks', { secret, rawBody: body, timestamp, deliveryId: id });
    expect(signed.headers['webhook-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('verifies a signature made by Webhook.sign', () => {
    const now = new Date();
    const signature = new StandardWebhook(secret).sign('msg_lib', now, body);
    const headers = {
      'webhook-id': 'msg_lib',
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signature,
    };
    expect(verify('standard-webhooks', { headers, rawBody: body }, [secret], now).ok).toBe(true);
  });

  it('signs what Webhook.verify accepts', () => {
    const signed = signWebhook('standard-webhooks', { secret, rawBody: body, deliveryId: 'msg_ours' });
    expect(new StandardWebhook(secret).verify(body, signed.headers)).toEqual({ test: 2432232314 });
  });

  it('accepts the secret without its whsec_ prefix, as the library does', () => {
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    expect(
      verify('standard-webhooks', { headers, rawBody: body }, ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], timestamp).ok,
    ).toBe(true);
  });

  it('finds the matching entry among several space-separated signatures, skipping other versions', () => {
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': '1614265330',
      'webhook-signature':
        'v1a,bm90LWFuLWVkMjU1MTktc2ln v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    expect(verify('standard-webhooks', { headers, rawBody: body }, [secret], timestamp).ok).toBe(true);
  });

  it('fails closed when no configured secret is a whsec_<base64> key', () => {
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    expect(verify('standard-webhooks', { headers, rawBody: body }, ['whsec_not base64!'], timestamp)).toEqual({
      ok: false,
      reason: 'no webhook secret configured is usable by the standard-webhooks scheme',
    });
  });
});

describe('zendesk-hmac-sha256 (documented formula, computed independently)', () => {
  // The signing secret Zendesk documents for test webhooks, used as the key string as-is.
  const secret = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==';
  const ts = '2021-03-25T05:09:27Z';
  const body = '{"ticket":{"id":35436,"subject":"Help, my printer is on fire!"}}';

  it('verifies base64(HMACSHA256(TIMESTAMP + BODY)) with the documented ISO timestamp', () => {
    const headers = {
      'x-zendesk-webhook-signature': hmacB64('sha256', secret, ts + body),
      'x-zendesk-webhook-signature-timestamp': ts,
      'x-zendesk-webhook-invocation-id': '8350205582',
    };
    const now = new Date('2021-03-25T05:10:00Z');
    expect(verify('zendesk-hmac-sha256', { headers, rawBody: body }, [secret], now)).toEqual({
      ok: true,
      deliveryId: '8350205582',
      timestamp: new Date(ts),
    });
  });

  it('signs with an ISO timestamp in the documented form', () => {
    const signed = signWebhook('zendesk-hmac-sha256', {
      secret,
      rawBody: body,
      timestamp: new Date('2021-03-25T05:09:27.640Z'),
    });
    expect(signed.headers['X-Zendesk-Webhook-Signature-Timestamp']).toBe(ts);
    expect(signed.headers['X-Zendesk-Webhook-Signature']).toBe(hmacB64('sha256', secret, ts + body));
  });

  it('verifies a body-less request (GET and DELETE triggers send none)', () => {
    const headers = {
      'X-Zendesk-Webhook-Signature': hmacB64('sha256', secret, ts),
      'X-Zendesk-Webhook-Signature-Timestamp': ts,
    };
    expect(verify('zendesk-hmac-sha256', { method: 'GET', headers, rawBody: '' }, [secret], new Date(ts)).ok).toBe(
      true,
    );
  });
});

describe('shopify-hmac-sha256 (documented formula, computed independently)', () => {
  it('verifies base64 HMAC-SHA256(client secret, raw body) and returns X-Shopify-Webhook-Id', () => {
    const body = '{"id":820982911946154508,"email":"jon@example.com"}';
    const headers = {
      'X-Shopify-Hmac-Sha256': hmacB64('sha256', 'shpss_secret', body),
      'X-Shopify-Webhook-Id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      'X-Shopify-Topic': 'orders/create',
    };
    expect(verify('shopify-hmac-sha256', { headers, rawBody: body }, ['shpss_secret'])).toEqual({
      ok: true,
      deliveryId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    });
  });
});

describe('xero-hmac-sha256 (documented formula, computed independently)', () => {
  it('verifies base64 HMAC-SHA256(webhook key as text, raw body), the intent-to-receive payload included', () => {
    const key = 'OSd0eLlVIY9ZhViEqlDUh4+6n6M+Lo+eDaEJheJ6OCCgWwIz2D3JIAU6jPMipHRbgKTLz2uJ+xiACXGDBLrgdA==';
    const body = '{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"S0M3NTEZV1CBHDWJ2MLJ"}';
    const headers = { 'x-xero-signature': hmacB64('sha256', key, body) };
    expect(verify('xero-hmac-sha256', { headers, rawBody: body }, [key]).ok).toBe(true);
  });
});

describe('raw bytes', () => {
  it('signs and verifies a body that is not valid UTF-8 byte for byte', () => {
    const body = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x7d]);
    const headers = { 'X-Hub-Signature-256': `sha256=${createHmac('sha256', 's').update(body).digest('hex')}` };
    expect(verify('github-sha256', { headers, rawBody: body }, ['s']).ok).toBe(true);
    expect(createHash('sha256').update(body).digest('hex')).not.toBe(
      createHash('sha256').update(body.toString()).digest('hex'),
    );
    expect(verify('github-sha256', { headers, rawBody: body.toString() }, ['s']).ok).toBe(false);
  });
});
