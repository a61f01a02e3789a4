/** The emulators' notion of time: injectable, so tests drive rate-limit windows and token expiry without waiting. */

/** Epoch milliseconds. */
export type Clock = () => number;

export interface ManualClock {
  /** The current time, epoch ms (pass this as an emulator's and an adapter's `now`). */
  now: Clock;
  /** Moves time forward by `ms`. */
  advance(ms: number): void;
  /** Sets the time. */
  set(epochMs: number): void;
  /**
   * A `sleep` for adapters (`RuntimeOptions.sleep`) that advances this clock instead of waiting, so a retry after
   * `Retry-After: 2.0` happens instantly but two seconds later as far as the emulator can tell.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * A clock that moves only when told to.
 *
 * @example
 * const clock = manualClock();
 * const shopify = shopifyEmulator({ now: clock.now });
 * clock.advance(2_000); // the bucket leaks 4 requests
 */
export function manualClock(start = Date.UTC(2026, 5, 1)): ManualClock {
  let current = start;
  return {
    now: () => current,
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot advance the clock by ${ms} ms`);
      current += ms;
    },
    set(epochMs) {
      current = epochMs;
    },
    async sleep(ms, signal) {
      if (signal?.aborted) throw signal.reason;
      current += Math.max(0, ms);
    },
  };
}
