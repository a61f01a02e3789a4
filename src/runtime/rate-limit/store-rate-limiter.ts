/**
 * The rate limiter every adapter uses: the platform's budgets (see `rate-limit-policy.ts`) kept in a
 * `RateLimitStore`, taken before each request and adjusted from each response.
 *
 * Waiting is bounded. A request the budget cannot serve within `maxWaitMs` — the platform paused it
 * (`Retry-After: 86400`, an hourly quota spent) or the requests queued before it fill it — is refused at once with a
 * `RateLimitWaitError` (a `RateLimitError` whose `retryAfterMs` is the wait that remains), never slept through. The
 * pause itself stays in the store, so every adapter and process sharing the budget honours it, and fails fast too.
 */
import type { Logger } from 'pino';
import { AdapterError } from '../errors.js';
import type { RateLimitConfig } from '../platform-schema.js';
import { abortableSleep, type SleepFunction } from '../retry/abortable-sleep.js';
import type { HeaderMap } from '../retry/retry-after.js';
import { type RateLimitFeedback, readRateLimitFeedback } from './rate-limit-feedback.js';
import { budgetsFor, type RateBudget, type RateLimitPolicyOptions } from './rate-limit-policy.js';
import type { RateLimitStore } from './rate-limit-store.js';
import { type RateLimiter, RateLimitWaitError } from './rate-limiter.js';

export interface StoreRateLimiterOptions extends RateLimitPolicyOptions {
  /** The budget's key (see `rateLimitKey`). */
  key: string;
  /** The platform's `rateLimit` config. */
  config: RateLimitConfig;
  store: RateLimitStore;
  /** For error messages and logs. */
  platformId?: string | undefined;
  /**
   * Longest one `acquire` may wait, its place in the queue included. A longer wait — a pause the platform asked for,
   * the requests queued before this one — is refused at once with `RateLimitWaitError` (`retryAfterMs`: the wait),
   * never slept through. Default 60 000 ms, the retry policy's default `maxRetryAfterMs`.
   */
  maxWaitMs?: number | undefined;
  /** Longest pause guessed from a response that names no time (a bare 429, a spent window). Default 60 000 ms. */
  maxPauseMs?: number | undefined;
  /**
   * Longest pause recorded from a time the platform names (`Retry-After`, a reset time): the budget stays paused as
   * long as the platform asked, up to this. Default one day (longer than any quota's reset; a date beyond is bogus).
   */
  maxStatedPauseMs?: number | undefined;
  /**
   * A grant that took longer than this to come back from the store (a stalled event loop, a slow database) is
   * dropped and taken again: sent late, it would land in the platform's next window together with the requests
   * granted after it. Default: the budget's safety margin (the lateness it absorbs), at least 5 ms.
   */
  maxGrantLatencyMs?: number | undefined;
  /** Waits; injected in tests. */
  sleep?: SleepFunction | undefined;
  /** Epoch ms; injected in tests. */
  now?: (() => number) | undefined;
  logger?: Logger | undefined;
}

const DEFAULT_MAX_WAIT_MS = 60_000;
const DEFAULT_MAX_PAUSE_MS = 60_000;
const DEFAULT_MAX_STATED_PAUSE_MS = 24 * 60 * 60 * 1000;
const MAX_STALE_GRANTS = 3;
/** Budgets are fractional ms: a request that fits to within a µs fits (as in the stores). */
const EPSILON_MS = 1e-3;

/** The pause a response asks for, and whether the platform named its length. */
interface FeedbackPause {
  backlogMs: number;
  /** The wait the platform named (before capping), and where it said so. */
  stated?: { ms: number; source: string } | undefined;
}

/** Caps on the pauses taken from responses (see `StoreRateLimiterOptions`). */
export interface PauseLimits {
  /** Longest pause guessed from a response that names no time. */
  maxPauseMs: number;
  /** Longest pause recorded from a time the platform names. */
  maxStatedPauseMs: number;
}

/**
 * @example
 * const limiter = new StoreRateLimiter({ key: 'shopify:t1:5f0c…', config: meta.rateLimit, store });
 * await limiter.acquire();                       // 40 at once, then 2 per second
 * await limiter.observe({ 'x-shopify-shop-api-call-limit': '39/40' }, 200);
 */
export class StoreRateLimiter implements RateLimiter {
  readonly key: string;
  readonly budgets: readonly RateBudget[];
  readonly #options: StoreRateLimiterOptions;
  readonly #store: RateLimitStore;
  readonly #sleep: SleepFunction;
  readonly #now: () => number;
  readonly #maxWaitMs: number;
  readonly #pauseLimits: PauseLimits;
  /**
   * Per budget, a lower bound of its theoretical arrival time in the store, on this process's clock, learnt from
   * this limiter's own grants, refusals and pauses. Store TATs only ever grow, so it stays a lower bound.
   */
  readonly #knownTat: number[];
  /** Per budget, the units asked for by callers queued here that have not taken from it yet. */
  readonly #queuedUnits: number[];
  /** The last pause the platform named to this limiter: for refusals' messages. */
  #stated: { ms: number; source: string; until: number } | undefined;
  /**
   * Callers of this limiter queue here: one at a time reserves its slot and waits for it, so slots go first come,
   * first served, and a caller that gives up (abort) wastes at most its own reservation.
   */
  #tail: Promise<void> = Promise.resolve();

  constructor(options: StoreRateLimiterOptions) {
    this.key = options.key;
    this.budgets = budgetsFor(options.config, options);
    this.#options = options;
    this.#store = options.store;
    this.#sleep = options.sleep ?? abortableSleep;
    this.#now = options.now ?? Date.now;
    this.#maxWaitMs = Math.max(options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS, 0);
    this.#pauseLimits = {
      maxPauseMs: options.maxPauseMs ?? DEFAULT_MAX_PAUSE_MS,
      maxStatedPauseMs: options.maxStatedPauseMs ?? DEFAULT_MAX_STATED_PAUSE_MS,
    };
    this.#knownTat = this.budgets.map(() => Number.NEGATIVE_INFINITY);
    this.#queuedUnits = this.budgets.map(() => 0);
  }

  async acquire(cost = 1, signal?: AbortSignal): Promise<void> {
    if (!(cost > 0) || !Number.isFinite(cost))
      throw new AdapterError(`rate limit: cost must be a positive number, got ${cost}`, {
        platformId: this.#options.platformId,
      });
    if (signal?.aborted) throw signal.reason;
    const started = this.#now();
    // What this process already knows — a pause, the callers queued here — may rule the wait too long: say so now.
    this.#refuseIfKnownTooLong(cost, started);
    const unsettled = this.budgets.map(() => true);
    const settle = (i: number) => {
      if (unsettled[i]) this.#queuedUnits[i] = (this.#queuedUnits[i] ?? 0) - cost;
      unsettled[i] = false;
    };
    for (let i = 0; i < this.budgets.length; i++) this.#queuedUnits[i] = (this.#queuedUnits[i] ?? 0) + cost;
    const gate = this.#tail;
    let leave!: () => void;
    const done = new Promise<void>((resolve) => {
      leave = resolve;
    });
    // The next caller goes after this one has finished AND everyone before it has.
    this.#tail = gate.then(() => done);
    try {
      await abortable(gate, signal);
      for (const [i, budget] of this.budgets.entries())
        await this.#take(i, budget, cost, started, signal, () => settle(i));
    } finally {
      for (let i = 0; i < this.budgets.length; i++) settle(i);
      leave();
    }
  }

  async observe(headers: HeaderMap | undefined, status: number): Promise<void> {
    const config = this.#options.config;
    const now = this.#now();
    const feedback = readRateLimitFeedback(headers, status, config.headers, config.statusCodes, now);
    const budget = this.budgets[0];
    if (!budget) return;
    const { backlogMs, stated } = pauseFromFeedback(budget, feedback, this.#pauseLimits);
    if (stated) {
      const until = now + Math.min(stated.ms, this.#pauseLimits.maxStatedPauseMs);
      if (until > (this.#stated?.until ?? Number.NEGATIVE_INFINITY)) this.#stated = { ...stated, until };
    }
    if (backlogMs > 0) {
      this.#options.logger?.debug({ key: this.key, backlogMs, status }, 'rate limit adjusted from response');
      // Recorded in full, however long: every adapter and process sharing the budget must honour it.
      await this.#store.raise(this.key + budget.suffix, backlogMs);
      this.#learn(0, now + backlogMs);
    }
  }

  async #take(
    index: number,
    budget: RateBudget,
    cost: number,
    started: number,
    signal: AbortSignal | undefined,
    settle: () => void,
  ): Promise<void> {
    const costMs = cost * budget.unitMs;
    // A request dearer than the whole burst may go only when the budget is idle.
    const limitMs = Math.max(budget.limitMs, costMs);
    const key = this.key + budget.suffix;
    const maxLatency = this.#options.maxGrantLatencyMs ?? Math.max(budget.marginMs, 5);
    let stale = 0;
    for (;;) {
      const asked = this.#now();
      const remaining = Math.max(this.#maxWaitMs - (asked - started), 0);
      // Reserve the next slot within the time left, then wait for it here: one store step per request.
      const result = await this.#store.take(key, { costMs, limitMs, maxDelayMs: remaining });
      settle();
      if (!result.allowed) {
        // The store's backlog is at least this: the request would fit only `waitMs` from now.
        this.#learn(index, asked + result.waitMs + limitMs - costMs);
        throw this.#refusal(result.waitMs, this.#now(), asked - started, 0);
      }
      // The slot's end: `delayMs` from the store's now (not before `asked`), plus the budget's limit.
      this.#learn(index, asked + (result.delayMs > 0 ? result.delayMs + limitMs : costMs));
      if (result.delayMs > 0) {
        // Whole ms (timers have no finer grain), ignoring float noise below a µs: never early, at most 1 ms late.
        await this.#sleep(Math.max(Math.ceil(result.delayMs - 1e-3), 1), signal);
      }
      // Time past the slot: the store's round trip plus the timer's lateness (an upper bound).
      const late = this.#now() - asked - result.delayMs;
      // A slot used late (a stalled event loop, a slow store) would land among the requests granted after it, in
      // the platform's next window: drop it (a slot spent, never a request sent late) and take another. After a
      // few in a row, go anyway.
      if (late <= maxLatency || ++stale > MAX_STALE_GRANTS) return;
      this.#options.logger?.debug({ key, lateMs: late }, 'rate limit slot came late; taking another');
    }
  }

  /**
   * Refuses at once when what this process knows — the budget's backlog it has seen, plus the units of the callers
   * queued here before this one — already puts the request's slot beyond `maxWaitMs`.
   */
  #refuseIfKnownTooLong(cost: number, now: number): void {
    for (const [i, budget] of this.budgets.entries()) {
      const costMs = cost * budget.unitMs;
      const queuedUnits = this.#queuedUnits[i] ?? 0;
      const tat = Math.max(this.#knownTat[i] ?? now, now) + queuedUnits * budget.unitMs;
      const waitMs = tat + costMs - Math.max(budget.limitMs, costMs) - now;
      if (waitMs > this.#maxWaitMs + EPSILON_MS) throw this.#refusal(waitMs, now, 0, queuedUnits);
    }
  }

  #learn(index: number, tat: number): void {
    if (tat > (this.#knownTat[index] ?? Number.NEGATIVE_INFINITY)) this.#knownTat[index] = tat;
  }

  #refusal(waitMs: number, now: number, waitedMs: number, queuedUnits: number): RateLimitWaitError {
    const platformId = this.#options.platformId ?? this.key.split(':')[0] ?? this.key;
    const until = now + Math.max(Math.ceil(waitMs - EPSILON_MS), 0);
    const at = new Date(until).toISOString();
    const stated = this.#stated;
    const from = `${seconds(waitMs)} s from now`;
    let why: string;
    if (stated && stated.until > now && until <= stated.until + (this.budgets[0]?.limitMs ?? 0) + 1) {
      why = `the platform asked to wait ${seconds(stated.ms)} s (${stated.source}), so the rate-limit budget ${this.key} is paused until ${at}, ${from}`;
    } else if (queuedUnits > 0) {
      why = `the requests queued before this one book the rate-limit budget ${this.key} until ${at}, ${from}`;
    } else {
      why = `the rate-limit budget ${this.key} is paused until ${at}, ${from} (a wait the platform asked for, or requests already booked)`;
    }
    const queued = waitedMs > 0 ? ` after ${seconds(waitedMs)} s in the queue` : '';
    return new RateLimitWaitError(
      `${platformId}: ${why}: longer than a request may wait (maxWaitMs ${seconds(this.#maxWaitMs)} s), so it fails now${queued} instead of waiting`,
      { platformId, waitMs, key: this.key },
    );
  }
}

/** Ms as seconds for messages: `86400`, `60.5`, `0.012`. */
function seconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}

/**
 * The backlog (ms) a response says the budget has at least; 0 when it says nothing new.
 *
 * - `Retry-After` pauses the key: nothing goes before it has passed. A wait the platform names (`Retry-After`, a
 *   reset time) is taken in full, up to `maxStatedPauseMs`; a guessed one (a bare 429, a spent window without a
 *   reset) up to `maxPauseMs`. A plain number caps both alike.
 * - A rate-limit status without one: a bucket is full; a window is spent until its reset (or for one window).
 * - A usage report (`32/40`) or remaining count sets a bucket's fill, minus one unit of reporting granularity
 *   (the figure is an integer, and a little stale by the time it arrives).
 * - For a window, a remaining count below the local burst shrinks it; zero pauses until the reset.
 *
 * @example
 * backlogFromFeedback(budget, { limited: true, retryAfterMs: 86_400_000 }, { maxPauseMs: 60_000, maxStatedPauseMs: 86_400_000 });
 * // 86_400_000 + budget.limitMs - budget.unitMs: paused a day, then one request may go
 */
export function backlogFromFeedback(
  budget: RateBudget,
  feedback: RateLimitFeedback,
  limits: number | PauseLimits,
): number {
  const caps = typeof limits === 'number' ? { maxPauseMs: limits, maxStatedPauseMs: limits } : limits;
  return pauseFromFeedback(budget, feedback, caps).backlogMs;
}

function pauseFromFeedback(budget: RateBudget, feedback: RateLimitFeedback, limits: PauseLimits): FeedbackPause {
  const candidates: number[] = [];
  let stated: FeedbackPause['stated'];
  const pause = (ms: number, source?: string) => {
    if (source !== undefined && (stated === undefined || ms > stated.ms)) stated = { ms, source };
    const cap = source === undefined ? limits.maxPauseMs : limits.maxStatedPauseMs;
    candidates.push(Math.min(ms, cap) + budget.limitMs - budget.unitMs);
  };
  if (feedback.retryAfterMs !== undefined) pause(feedback.retryAfterMs, 'Retry-After');

  if (budget.kind === 'bucket') {
    if (feedback.limited && feedback.retryAfterMs === undefined) candidates.push(budget.windowMs);
    let fill: number | undefined;
    if (feedback.usage) fill = feedback.usage.used / feedback.usage.capacity;
    else if (feedback.remaining !== undefined)
      fill = 1 - feedback.remaining / (feedback.limit && feedback.limit > 0 ? feedback.limit : budget.capacity);
    if (fill !== undefined) candidates.push(Math.max(fill * budget.capacity - 1, 0) * budget.unitMs);
  } else {
    // Until the window resets: a time the platform names, or a guess (its window, ours).
    const reset = (guessMs: number) =>
      feedback.resetInMs === undefined ? pause(guessMs) : pause(feedback.resetInMs, 'its rate-limit reset');
    // A bare 429: the window is full now. A sliding window frees a slot soon, a fixed one at its reset: without a
    // reset to go by, pause a tenth of the window (a retry that meets another 429 pauses again).
    if (feedback.limited && feedback.retryAfterMs === undefined) reset(feedback.windowMs ?? budget.windowMs / 10);
    let remaining: number | undefined;
    if (feedback.usage) remaining = (1 - feedback.usage.used / feedback.usage.capacity) * budget.capacity;
    else if (feedback.remaining !== undefined)
      remaining =
        feedback.limit && feedback.limit > 0
          ? (feedback.remaining / feedback.limit) * budget.capacity
          : feedback.remaining;
    if (remaining !== undefined) {
      if (remaining < 1) reset(feedback.windowMs ?? budget.windowMs);
      else if (remaining < budget.burst) candidates.push((budget.burst - Math.floor(remaining)) * budget.unitMs);
    }
  }
  return { backlogMs: candidates.length === 0 ? 0 : Math.max(...candidates), stated };
}

function abortable(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
