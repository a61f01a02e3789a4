/** Waiting between attempts, cut short by an abort signal. */

/** Waits `ms`; rejects with the signal's reason when it aborts first. Injected into the HTTP client for tests. */
export type SleepFunction = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * The default sleep: a timer that an `AbortSignal` cancels.
 *
 * @example
 * await abortableSleep(250, AbortSignal.timeout(1000));
 */
export const abortableSleep: SleepFunction = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
