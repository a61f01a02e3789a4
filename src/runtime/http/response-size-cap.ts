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
  const refuse = (status: number | undefined) => {
    if (state.exceeded) return;
    state.exceeded = { status };
    pending.cancel();
  };
  pending.on('response', (response: { statusCode?: number; headers: Record<string, unknown> }) => {
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) refuse(response.statusCode);
  });
  pending.on('downloadProgress', (progress: { transferred: number }) => {
    if (progress.transferred > maxBytes) refuse(undefined);
  });
  return state;
}
