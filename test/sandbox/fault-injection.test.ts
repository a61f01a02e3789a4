import { afterEach, describe, expect, it } from 'vitest';
import {
  type EmulatorHandler,
  type EmulatorRequest,
  type FaultOptions,
  hubspotEmulator,
  metaAdsEmulator,
  parseFaultSpec,
  type RunningEmulator,
  shopifyEmulator,
  startEmulator,
  stripeEmulator,
  withFaults,
} from '../../src/sandbox/index.js';
import { call } from './http-helpers.js';

const ok: EmulatorHandler = () => ({ status: 200, body: { ok: true } });

let sequence = 0;
const fakeRequest = (method = 'GET', path = '/x'): EmulatorRequest => ({
  method,
  url: new URL(path, 'http://127.0.0.1'),
  headers: {},
  body: undefined,
  rawBody: '',
  sequence: ++sequence,
});

/** The fault (or `-`) for each of `n` requests sent straight to the wrapped handler. */
async function faultPattern(options: FaultOptions, n: number, handler: EmulatorHandler = ok): Promise<string[]> {
  const faulty = withFaults(handler, options);
  for (let i = 0; i < n; i++) await faulty(fakeRequest());
  const byRequest = new Map(faulty.faults.log.map((f) => [f.request, f.status ? `${f.fault}:${f.status}` : f.fault]));
  return Array.from({ length: n }, (_, i) => byRequest.get(i + 1) ?? '-');
}

const rate = { serverError: 0.1, rateLimited: 0.05, reset: 0.02, timeout: 0.01, malformedJson: 0.01 };

describe('withFaults', () => {
  let running: RunningEmulator | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('is deterministic: the same seed faults the same requests the same way', async () => {
    const first = await faultPattern({ rate, seed: 42 }, 300);
    expect(await faultPattern({ rate, seed: 42 }, 300)).toEqual(first);
    expect(first.filter((f) => f !== '-').length).toBeGreaterThan(0);
  });

  it('differs with another seed', async () => {
    expect(await faultPattern({ rate, seed: 43 }, 300)).not.toEqual(await faultPattern({ rate, seed: 42 }, 300));
  });

  it('injects each fault at about its rate', async () => {
    const pattern = await faultPattern({ rate, seed: 7 }, 5000);
    const share = (kind: string) => pattern.filter((f) => f.startsWith(kind)).length / pattern.length;
    expect(share('serverError')).toBeCloseTo(0.1, 1);
    expect(share('rateLimited')).toBeCloseTo(0.05, 1);
    expect(share('reset')).toBeGreaterThan(0.01);
    expect(share('reset')).toBeLessThan(0.03);
  });

  it('faults exactly the scripted requests', async () => {
    const pattern = await faultPattern(
      {
        script: [
          { on: 3, fault: '503' },
          { on: 5, fault: 'reset' },
          { on: 6, fault: '429' },
        ],
      },
      7,
    );
    expect(pattern).toEqual(['-', '-', 'serverError:503', '-', 'reset', 'rateLimited:429', '-']);
  });

  it('never faults more than maxConsecutive requests in a row', async () => {
    const pattern = await faultPattern({ rate: { serverError: 1 }, maxConsecutive: 2 }, 9);
    expect(pattern.map((f) => (f === '-' ? '-' : 'F')).join('')).toBe('FF-FF-FF-');
  });

  it.each([
    ['an unknown fault', { rate: { gremlins: 0.1 } }, /unknown fault "gremlins"/],
    ['a rate above 1', { rate: { reset: 1.5 } }, /from 0 to 1/],
    ['rates adding up to more than 1', { rate: { reset: 0.6, serverError: 0.6 } }, /more than 1/],
    ['an unknown scripted fault', { script: [{ on: 1, fault: '418' }] }, /unknown fault "418"/],
    ['a script entry before the first request', { script: [{ on: 0, fault: 'reset' }] }, /≥ 1/],
  ])('refuses %s', (_, options, message) => {
    expect(() => withFaults(ok, options as FaultOptions)).toThrow(message);
  });

  it('refuses tokenExpired for an emulator whose credentials do not expire', () => {
    expect(() => withFaults(stripeEmulator(), { rate: { tokenExpired: 0.1 } })).toThrow(/OAuth emulator/);
  });

  it('a reset is a real TCP reset: the client sees ECONNRESET', async () => {
    running = await startEmulator(withFaults(ok, { script: [{ on: 1, fault: 'reset' }] }));
    await expect(call(running.origin, '/x')).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect((await call(running.origin, '/x')).status).toBe(200);
  });

  it('a timeout is a stall: no answer until the client gives up, then the server goes on', async () => {
    running = await startEmulator(withFaults(ok, { script: [{ on: 1, fault: 'timeout' }] }));
    const started = performance.now();
    await expect(call(running.origin, '/x', { timeoutMs: 100 })).rejects.toMatchObject({ code: 'CLIENT_TIMEOUT' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    expect((await call(running.origin, '/x')).status).toBe(200);
  });

  it('malformed JSON is a 200 whose body stops mid-record', async () => {
    running = await startEmulator(withFaults(ok, { script: [{ on: 1, fault: 'malformedJson' }] }));
    const response = await call(running.origin, '/x');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/application\/json/);
    expect(() => JSON.parse(response.text)).toThrow(SyntaxError);
  });

  it("a 429 carries Retry-After and the platform's own rate-limit body", async () => {
    running = await startEmulator(withFaults(shopifyEmulator(), { script: [{ on: 1, fault: '429' }] }));
    const response = await call(running.origin, '/admin/api/2026-10/shop.json', {
      headers: { 'x-shopify-access-token': 'shpat_emulator' },
    });
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe('2.0');
    expect(response.body).toMatchObject({ errors: expect.stringMatching(/^Exceeded 2 calls per second/) });
  });

  it('a 429 for a platform that throttles with another status (Meta: 400) is a plain 429 with Retry-After', async () => {
    running = await startEmulator(
      withFaults(metaAdsEmulator(), { script: [{ on: 1, fault: 'rateLimited' }], retryAfterSeconds: 3 }),
    );
    const response = await call(running.origin, '/v26.0/me', { headers: { authorization: 'Bearer EAAemulator' } });
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe('3');
  });

  it("a 5xx is in the platform's error shape", async () => {
    running = await startEmulator(withFaults(stripeEmulator(), { script: [{ on: 1, fault: '502' }] }));
    const response = await call(running.origin, '/v1/customers', {
      headers: { authorization: 'Bearer sk_test_emulator' },
    });
    expect(response.status).toBe(502);
    expect(response.body).toMatchObject({ error: { type: 'api_error' } });
  });

  it("token expiry expires the emulator's tokens and answers with the platform's 401", async () => {
    const emulator = hubspotEmulator();
    running = await startEmulator(withFaults(emulator, { script: [{ on: 2, fault: 'tokenExpired' }] }));
    const headers = { authorization: 'Bearer hubspot-emulator-token' };
    const path = '/crm/objects/2026-09/contacts?limit=1';
    expect((await call(running.origin, path, { headers })).status).toBe(200);
    const expired = await call(running.origin, path, { headers });
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ category: 'EXPIRED_AUTHENTICATION' });
    // Not just one answer: the token is now expired for good.
    expect((await call(running.origin, path, { headers })).status).toBe(401);
  });

  it.each(['500', 'reset', 'timeout', 'malformedJson', '429'] as const)(
    'a faulted write (%s) has no side effect; the retry creates the record once',
    async (fault) => {
      const emulator = stripeEmulator({ rateLimit: false });
      running = await startEmulator(withFaults(emulator, { script: [{ on: 1, fault }] }));
      const request = {
        method: 'POST',
        headers: { authorization: 'Bearer sk_test_emulator' },
        form: { email: 'once@example.com' },
      };
      // Only the faulted attempt needs a short timeout (a stall ends when the client gives up); the retry waits for
      // its answer however slow the machine.
      await call(running.origin, '/v1/customers', { ...request, timeoutMs: 200 }).catch(() => undefined);
      expect(emulator.control.records('customers').filter((c) => c.email === 'once@example.com')).toHaveLength(0);
      expect(emulator.control.counters.requests).toBe(0);
      expect((await call(running.origin, '/v1/customers', request)).status).toBe(200);
      expect(emulator.control.records('customers').filter((c) => c.email === 'once@example.com')).toHaveLength(1);
    },
  );

  it('counts and logs what it injected', async () => {
    const faulty = withFaults(ok, { script: [{ on: 2, fault: 'reset' }] });
    await faulty(fakeRequest('GET', '/a'));
    await faulty(fakeRequest('DELETE', '/b'));
    expect(faulty.faults).toMatchObject({
      requests: 2,
      faulted: 1,
      byKind: { reset: 1, serverError: 0 },
      log: [{ request: 2, method: 'DELETE', path: '/b', fault: 'reset' }],
    });
  });
});

describe('parseFaultSpec', () => {
  it('parses the command-line spec', () => {
    expect(parseFaultSpec('serverError=0.1, rateLimited=0.05,reset=0.02')).toEqual({
      serverError: 0.1,
      rateLimited: 0.05,
      reset: 0.02,
    });
  });

  it.each([
    ['serverError', /name=probability/],
    ['oops=0.1', /unknown fault "oops"/],
    ['reset=abc', /from 0 to 1/],
    ['reset=2', /from 0 to 1/],
    ['reset=', /from 0 to 1/],
  ])('rejects %s', (spec, message) => {
    expect(() => parseFaultSpec(spec)).toThrow(message);
  });
});
