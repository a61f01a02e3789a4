/**
 * A cap on how much of a response got reads: a declared `Content-Length` above it, or more bytes than it as they
 * stream in (counted after decompression, so a small gzip bomb is caught too), cancels the request at once.
 */
import type { CancelableRequest } from 'got';

export interface ResponseSizeCap {
  /** Set once the cap cancelled the request: the status when headers had arrived. */
  readonly exceeded: { status: number | undefined } | undefined;
}

/**
 * @example
 * const pending = got(url);
 * const cap = capResponseSize(pending, 25 * 1024 * 1024);
 * try { await pending; } catch (error) { if (cap.exceeded) throw new ResponseBodyError({ … }); throw error; }
 */
export function capResponseSize(pending: CancelableRequest<unknown>, maxBytes: number): ResponseSizeCap {
  const state: { exceeded: { status: number | undefined } | undefined } = { exceeded: undefined };
  // got's promise does not pass its 'response' event on before the body is read: the status comes from the
  // underlying request (set before any progress event), the declared length from the first progress event.
  let request: { res?: { statusCode?: number } | null } | undefined;
  // got passes 'request' on at run time; its promise's typings list only the progress events.
  (pending as unknown as NodeJS.EventEmitter).on('request', (sent: { res?: { statusCode?: number } | null }) => {
    request = sent;
  });
  pending.on('downloadProgress', (progress: { transferred: number; total?: number | undefined }) => {
    if (state.exceeded) return;
    if (progress.transferred > maxBytes || (progress.total !== undefined && progress.total > maxBytes)) {
      state.exceeded = { status: request?.res?.statusCode };
      pending.cancel();
    }
  });
  return state;
}
