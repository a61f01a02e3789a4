/** A clock that moves only when a test sleeps on it: rate-limit tests run in microseconds and are exact. */
export interface ManualClock {
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  advance: (ms: number) => void;
}

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
