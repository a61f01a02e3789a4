/** A clock that moves only when a test sleeps on it: rate-limit tests run in microseconds and are exact. */
export interface ManualClock {
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  advance: (ms: number) => void;
}

/**
 * @example
 * const clock = manualClock();
 * const limiter = new StoreRateLimiter({ key: 'k', config, store: new MemoryRateLimitStore({ now: clock.now }),
 *   now: clock.now, sleep: clock.sleep });
 */
export function manualClock(start = 1_700_000_000_000): ManualClock {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      t += ms;
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

/** A manual clock for tests with real I/O: it stands still while anything is in flight. */
export interface QuietClock {
  now: () => number;
  /** Resolves once nothing is in flight, with the clock moved to this sleeper's wake-up (sleepers go in time order). */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Something (a request) is in flight: the clock stands still until it is `done`. */
  busy: () => void;
  done: () => void;
}

/**
 * Real network time never shows on this clock: it moves only when a sleeper wakes, and only once every request
 * in flight has been answered. A server that reads `now()` sees each request at exactly the instant the limiter
 * let it go, however slow the machine.
 *
 * @example
 * const clock = quietClock();
 * const limiter = { acquire: async () => { await inner.acquire(); clock.busy(); }, observe: … };
 * await http.request(…).finally(clock.done);
 */
export function quietClock(start = 1_700_000_000_000): QuietClock {
  let t = start;
  let inFlight = 0;
  const sleepers: Array<{ at: number; seq: number; wake: () => void }> = [];
  let seq = 0;
  let scheduled = false;
  // After every pending callback and I/O event of this turn: a request granted just now is already `busy`.
  const pump = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (inFlight > 0 || sleepers.length === 0) return;
      sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = sleepers.shift();
      if (!next) return;
      t = Math.max(t, next.at);
      next.wake();
      pump();
    });
  };
  return {
    now: () => t,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        sleepers.push({ at: t + ms, seq: seq++, wake: resolve });
        pump();
      }),
    busy: () => {
      inFlight++;
    },
    done: () => {
      inFlight--;
      pump();
    },
  };
}
