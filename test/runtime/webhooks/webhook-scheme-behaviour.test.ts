/**
 * The rules every scheme must follow, checked for each of them: a signed delivery verifies, any change to it or to
 * the secret does not, missing or garbled headers and missing secrets fail closed, a second secret verifies during a
 * rotation, and signed timestamps outside the window are replays. Deliveries are made with `signWebhook`; that it
 * signs as each vendor does is proven separately, against the vendors' own examples and SDKs (vendor-vectors).
 */
import { describe, expect, it } from 'vitest';
import { verifyWebhookSignature, type WebhookRequest, type WebhookSchemeName } from '../../../src/runtime/index.js';
import { WEBHOOK_SCHEMES } from '../../../src/runtime/platform-schema.js';
import { webhookSchemeDefaults } from '../../../src/runtime/webhooks/webhook-schemes.js';
import { CASES, NOW, request, signed, TIMESTAMPED } from './webhook-scheme-cases.js';

function verify(scheme: WebhookSchemeName, req: WebhookRequest, secrets: string[], now = NOW) {
  return verifyWebhookSignature(scheme, undefined, req, { secrets, now });
}

function withoutHeader(headers: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => key.toLowerCase() !== name.toLowerCase()));
}

function flipLastByte(body: string): Buffer {
  const bytes = Buffer.from(body);
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x01;
  return bytes;
}

describe.each([...WEBHOOK_SCHEMES])('%s', (scheme) => {
  const c = CASES[scheme];
  const defaults = webhookSchemeDefaults(scheme);

  it('accepts a delivery signed with the secret', () => {
    expect(verify(scheme, request(scheme, signed(scheme)), [c.secret])).toMatchObject({ ok: true });
  });

  it('accepts the body as a Buffer as well as a string', () => {
    const req = request(scheme, signed(scheme), Buffer.from(c.rawBody));
    expect(verify(scheme, req, [c.secret]).ok).toBe(true);
  });

  it('rejects a body with one byte flipped', () => {
    const result = verify(scheme, request(scheme, signed(scheme), flipLastByte(c.rawBody)), [c.secret]);
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/does not match/) });
  });

  it('rejects a delivery signed with another secret', () => {
    const result = verify(scheme, request(scheme, signed(scheme, { secret: c.otherSecret })), [c.secret]);
    expect(result).toEqual({ ok: false, reason: `${defaults.signatureHeader} does not match the request` });
  });

  it('rejects a delivery without the signature header, naming it', () => {
    const delivery = signed(scheme);
    const req = { ...request(scheme, delivery), headers: withoutHeader(delivery.headers, defaults.signatureHeader) };
    expect(verify(scheme, req, [c.secret])).toEqual({
      ok: false,
      reason: `missing ${defaults.signatureHeader} header`,
    });
  });

  it('rejects a garbled signature header, naming it', () => {
    const delivery = signed(scheme);
    const headers = { ...withoutHeader(delivery.headers, defaults.signatureHeader), [defaults.signatureHeader]: '%%' };
    const result = verify(scheme, { ...request(scheme, delivery), headers }, [c.secret]);
    expect(result).toEqual({
      ok: false,
      reason: expect.stringContaining(`malformed ${defaults.signatureHeader} header`),
    });
  });

  it('fails closed when no secret is configured', () => {
    expect(verify(scheme, request(scheme, signed(scheme)), [])).toEqual({
      ok: false,
      reason: 'no webhook secret configured',
    });
  });

  it('fails closed when the only secret is empty', () => {
    expect(verify(scheme, request(scheme, signed(scheme)), [''])).toEqual({
      ok: false,
      reason: 'no webhook secret configured',
    });
  });

  it('accepts a delivery signed with the second secret during a rotation', () => {
    const req = request(scheme, signed(scheme, { secret: c.otherSecret }));
    expect(verify(scheme, req, [c.secret, c.otherSecret]).ok).toBe(true);
  });

  it('matches header names case-insensitively', () => {
    const delivery = signed(scheme);
    const upper = Object.fromEntries(Object.entries(delivery.headers).map(([k, v]) => [k.toUpperCase(), v]));
    const lower = Object.fromEntries(Object.entries(delivery.headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(verify(scheme, { ...request(scheme, delivery), headers: upper }, [c.secret]).ok).toBe(true);
    expect(verify(scheme, { ...request(scheme, delivery), headers: lower }, [c.secret]).ok).toBe(true);
  });

  it('rejects the signature header sent twice', () => {
    const delivery = signed(scheme);
    const value = delivery.headers[defaults.signatureHeader] as string;
    const headers = { ...delivery.headers, [defaults.signatureHeader]: [value, value] };
    expect(verify(scheme, { ...request(scheme, delivery), headers }, [c.secret])).toEqual({
      ok: false,
      reason: `multiple ${defaults.signatureHeader} headers`,
    });
  });

  it('returns the delivery id when the scheme has a delivery id header', () => {
    const result = verify(scheme, request(scheme, signed(scheme)), [c.secret]);
    expect(result).toMatchObject(defaults.deliveryIdHeader ? { ok: true, deliveryId: 'delivery-1' } : { ok: true });
    if (!defaults.deliveryIdHeader) expect(result).not.toHaveProperty('deliveryId');
  });

  it('never puts a secret or an expected signature in a reason', () => {
    const good = signed(scheme);
    const signatures = Object.values(good.headers);
    const failures = [
      verify(scheme, request(scheme, signed(scheme, { secret: c.otherSecret })), [c.secret]),
      verify(scheme, request(scheme, good, flipLastByte(c.rawBody)), [c.secret]),
      verify(scheme, request(scheme, good), [c.otherSecret]),
    ];
    for (const result of failures) {
      expect(result.ok).toBe(false);
      const reason = result.ok ? '' : result.reason;
      for (const secret of [c.secret, c.otherSecret]) expect(reason).not.toContain(secret);
      for (const value of signatures) expect(reason).not.toContain(value);
    }
  });

  if (TIMESTAMPED.has(scheme)) {
    it('returns the signed timestamp', () => {
      const result = verify(scheme, request(scheme, signed(scheme)), [c.secret]);
      expect(result).toMatchObject({ ok: true, timestamp: NOW });
    });

    it('accepts a timestamp just inside the five minute window', () => {
      const req = request(scheme, signed(scheme, { timestamp: new Date(NOW.getTime() - 299_000) }));
      expect(verify(scheme, req, [c.secret]).ok).toBe(true);
    });

    it('rejects a stale timestamp as a replay', () => {
      const req = request(scheme, signed(scheme, { timestamp: new Date(NOW.getTime() - 301_000) }));
      expect(verify(scheme, req, [c.secret])).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
    });

    it('rejects a timestamp too far in the future', () => {
      const req = request(scheme, signed(scheme, { timestamp: new Date(NOW.getTime() + 301_000) }));
      expect(verify(scheme, req, [c.secret])).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
    });

    it('honours a configured tolerance', () => {
      const req = request(scheme, signed(scheme, { timestamp: new Date(NOW.getTime() - 60_000) }));
      const result = verifyWebhookSignature(scheme, { toleranceSeconds: 30 }, req, { secrets: [c.secret], now: NOW });
      expect(result).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
    });

    it('rejects a delivery without the timestamp header, naming it', () => {
      const delivery = signed(scheme);
      const name = defaults.timestampHeader;
      if (!name) return; // Stripe carries its timestamp inside Stripe-Signature.
      const req = { ...request(scheme, delivery), headers: withoutHeader(delivery.headers, name) };
      expect(verify(scheme, req, [c.secret])).toEqual({ ok: false, reason: `missing ${name} header` });
    });

    it('rejects a timestamp that was changed after signing', () => {
      const later = signed(scheme, { timestamp: new Date(NOW.getTime() + 1000) });
      const delivery = signed(scheme);
      const name = defaults.timestampHeader;
      const headers = name
        ? { ...delivery.headers, [name]: later.headers[name] as string }
        : {
            [defaults.signatureHeader]: (delivery.headers[defaults.signatureHeader] as string).replace(
              /t=\d+/,
              't=1748779201',
            ),
          };
      const result = verify(scheme, { ...request(scheme, delivery), headers }, [c.secret]);
      expect(result).toEqual({ ok: false, reason: expect.stringMatching(/does not match/) });
    });
  }
});
