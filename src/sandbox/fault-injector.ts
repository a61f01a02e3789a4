/**
 * Fault injection around any emulator: server errors, 429s, TCP resets, stalls, malformed JSON and token expiry,
 * chosen at random from a seeded PRNG (the same seed gives the same faults on the same request sequence) or scripted
 * for the Nth request.
 *
 * A faulted request never reaches the wrapped emulator, so it has no side effect: a client that retries correctly
 * sees every record exactly once. The one deliberate exception is `tokenExpired`, which expires the emulator's
 * tokens (that is the fault) before answering with the platform's expired-token response.
 */
import type { EmulatorControl, OAuthEmulatorControl, PlatformResponses } from './emulator-control.js';
import type { EmulatorHandler, EmulatorReply, EmulatorRequest, EmulatorResponse } from './emulator-server.js';

export const FAULT_KINDS = ['serverError', 'rateLimited', 'reset', 'timeout', 'malformedJson', 'tokenExpired'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A scripted fault: a kind, or an HTTP status (`'503'`, `'429'`) as shorthand. */
export type ScriptedFault = FaultKind | `${number}`;

export interface FaultOptions {
  /** Probability per request of each fault (their sum at most 1). */
  rate?: Partial<Record<FaultKind, number>>;
  /** PRNG seed (default 1): the same seed and request sequence give the same faults. */
  seed?: number;
  /** Faults for specific requests: `on` is the 1-based number of the request (among those `applies` accepts). */
  script?: ReadonlyArray<{ on: number; fault: ScriptedFault }>;
  /**
   * Longest run of consecutive randomly faulted requests (scripted faults are always injected). A client that lists
   * serially sends each attempt of one request back to back, so `maxAttempts - 1` keeps the faults within its retry
   * budget. Default: unlimited.
   */
  maxConsecutive?: number;
  /** `Retry-After` on injected 429s, seconds (default: the platform's own, else 1). */
  retryAfterSeconds?: number;
  /** Statuses a `serverError` is drawn from (default 500, 502, 503, 504). */
  serverErrorStatuses?: readonly number[];
  /** Which requests may be faulted (default: all). */
  applies?: (request: EmulatorRequest) => boolean;
}

export interface FaultRecord {
  /** The request's number among those the injector considered. */
  request: number;
  method: string;
  path: string;
  fault: FaultKind;
  status?: number | undefined;
}

export interface FaultStats {
  /** Requests the injector considered. */
  requests: number;
  faulted: number;
  byKind: Record<FaultKind, number>;
  /** Every injected fault, in order. */
  log: FaultRecord[];
}

export type FaultyEmulator<H extends EmulatorHandler> = EmulatorHandler & { control: H['control']; faults: FaultStats };

/** mulberry32: a small, fast, seedable PRNG with uniform output in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function scripted(fault: ScriptedFault): { kind: FaultKind; status?: number } {
  if ((FAULT_KINDS as readonly string[]).includes(fault)) return { kind: fault as FaultKind };
  const status = Number(fault);
  if (status === 429) return { kind: 'rateLimited', status };
  if (Number.isInteger(status) && status >= 500 && status <= 599) return { kind: 'serverError', status };
  throw new TypeError(`unknown fault "${fault}": use ${FAULT_KINDS.join(', ')}, 429 or a 5xx status`);
}

function controlOf(handler: EmulatorHandler): Partial<EmulatorControl> & Partial<OAuthEmulatorControl> {
  return (handler.control ?? {}) as Partial<EmulatorControl> & Partial<OAuthEmulatorControl>;
}

/**
 * Wraps an emulator so that requests fail as configured.
 *
 * @example
 * const emulator = await startEmulator(
 *   withFaults(stripeEmulator(), { rate: { serverError: 0.1, rateLimited: 0.05, reset: 0.02 }, seed: 7 }),
 * );
 * const scripted = withFaults(hubspotEmulator(), { script: [{ on: 3, fault: '503' }, { on: 4, fault: 'reset' }] });
 * emulator.faults.byKind.reset; // how many resets were injected
 */
export function withFaults<H extends EmulatorHandler>(handler: H, options: FaultOptions = {}): FaultyEmulator<H> {
  const rate = options.rate ?? {};
  let total = 0;
  for (const [kind, p] of Object.entries(rate)) {
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
      throw new TypeError(`unknown fault "${kind}": use ${FAULT_KINDS.join(', ')}`);
    }
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 1) {
      throw new RangeError(`fault rate ${kind}=${p} must be a number from 0 to 1`);
    }
    total += p;
  }
  if (total > 1 + 1e-9) throw new RangeError(`fault rates add up to ${total}, more than 1`);
  const script = new Map<number, { kind: FaultKind; status?: number }>();
  for (const entry of options.script ?? []) {
    if (!Number.isInteger(entry.on) || entry.on < 1) throw new RangeError(`script "on" must be ≥ 1, got ${entry.on}`);
    script.set(entry.on, scripted(entry.fault));
  }
  const control = controlOf(handler);
  const wantsExpiry = (rate.tokenExpired ?? 0) > 0 || [...script.values()].some((f) => f.kind === 'tokenExpired');
  if (wantsExpiry && typeof control.expireTokens !== 'function') {
    throw new TypeError('tokenExpired faults need an OAuth emulator (its tokens must be able to expire)');
  }

  const random = seededRandom(options.seed ?? 1);
  const statuses = options.serverErrorStatuses ?? [500, 502, 503, 504];
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  const maxConsecutive = options.maxConsecutive ?? Number.POSITIVE_INFINITY;
  const stats: FaultStats = {
    requests: 0,
    faulted: 0,
    byKind: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    log: [],
  };
  let consecutive = 0;

  const pick = (): { kind: FaultKind; status?: number } | undefined => {
    // Two draws per request whatever happens, so later decisions do not depend on earlier outcomes.
    const r = random();
    const s = random();
    let edge = 0;
    for (const kind of FAULT_KINDS) {
      edge += rate[kind] ?? 0;
      if (r < edge) {
        return kind === 'serverError'
          ? { kind, status: statuses[Math.floor(s * statuses.length)] ?? 500 }
          : kind === 'rateLimited'
            ? { kind, status: 429 }
            : { kind };
      }
    }
    return undefined;
  };

  const answer = (fault: { kind: FaultKind; status?: number }, responses?: PlatformResponses): EmulatorReply => {
    switch (fault.kind) {
      case 'serverError': {
        const status = fault.status ?? 500;
        return (
          responses?.serverError(status) ?? { status, body: { error: { message: `injected ${status} server error` } } }
        );
      }
      case 'rateLimited': {
        const platform = responses?.rateLimited();
        const base: EmulatorResponse =
          platform && platform.status === 429
            ? platform
            : { status: 429, body: { error: { message: 'Too Many Requests (injected fault)' } } };
        // A wait the test asked for wins over the platform's usual one.
        const wait =
          options.retryAfterSeconds !== undefined ? retryAfter : (base.headers?.['retry-after'] ?? retryAfter);
        return { ...base, headers: { ...base.headers, 'retry-after': wait } };
      }
      case 'reset':
        return { transport: 'reset' };
      case 'timeout':
        return { transport: 'stall' };
      case 'malformedJson':
        // A 200 whose JSON stops mid-record, as when a proxy cuts the body short.
        return { status: 200, rawBody: '{"data":[{"id":"trunc' };
      case 'tokenExpired':
        control.expireTokens?.();
        return (
          responses?.tokenExpired() ?? { status: 401, body: { error: { message: 'access token expired (injected)' } } }
        );
    }
  };

  const wrapped = (async (request: EmulatorRequest) => {
    if (options.applies && !options.applies(request)) return handler(request);
    stats.requests += 1;
    const n = stats.requests;
    const drawn = pick();
    const fault = script.get(n) ?? (drawn && consecutive < maxConsecutive ? drawn : undefined);
    if (!fault) {
      consecutive = 0;
      return handler(request);
    }
    consecutive += 1;
    stats.faulted += 1;
    stats.byKind[fault.kind] += 1;
    const reply = answer(fault, control.responses);
    stats.log.push({
      request: n,
      method: request.method,
      path: request.url.pathname,
      fault: fault.kind,
      status: 'status' in reply ? reply.status : undefined,
    });
    return reply;
  }) as FaultyEmulator<H>;
  wrapped.control = handler.control;
  wrapped.faults = stats;
  return wrapped;
}

/**
 * Parses a command-line fault spec: `serverError=0.1,rateLimited=0.05,reset=0.02`.
 * @throws TypeError / RangeError naming the bad entry.
 */
export function parseFaultSpec(spec: string): Partial<Record<FaultKind, number>> {
  const rate: Partial<Record<FaultKind, number>> = {};
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, value, extra] = part.split('=');
    if (!name || value === undefined || extra !== undefined) {
      throw new TypeError(`fault "${part}" must look like name=probability (e.g. serverError=0.1)`);
    }
    if (!(FAULT_KINDS as readonly string[]).includes(name)) {
      throw new TypeError(`unknown fault "${name}": use ${FAULT_KINDS.join(', ')}`);
    }
    const p = Number(value);
    if (value.trim() === '' || !Number.isFinite(p) || p < 0 || p > 1) {
      throw new RangeError(`fault rate ${name}=${value} must be a number from 0 to 1`);
    }
    rate[name as FaultKind] = p;
  }
  return rate;
}
