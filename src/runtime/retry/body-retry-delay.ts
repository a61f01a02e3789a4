/** Reading a server's requested wait from an error body, where the platform's config says it is. */
import { getPath } from '../dotted-path.js';

/**
 * The first wait, in ms, found at one of `paths` in `body`: a protobuf Duration in its JSON form (`"13s"`,
 * `"0.5s"`), as Google's `google.rpc.RetryInfo.retryDelay` and Google Ads' `QuotaErrorDetails.retryDelay` are sent.
 * A `*` segment takes every element of an array (or every value of an object). `undefined` when none is readable.
 *
 * @example
 * bodyRetryDelayMs({ error: { details: [{ retryDelay: '13s' }] } }, ['error.details.*.retryDelay']); // 13000
 */
export function bodyRetryDelayMs(body: unknown, paths: readonly string[]): number | undefined {
  for (const path of paths) {
    for (const value of valuesAt(body, path.split('.'))) {
      const seconds = typeof value === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(value.trim())?.[1] : undefined;
      if (seconds !== undefined) return Math.round(Number(seconds) * 1000);
    }
  }
  return undefined;
}

function valuesAt(node: unknown, segments: readonly string[]): unknown[] {
  const star = segments.indexOf('*');
  if (star < 0) {
    const value = getPath(node, segments.join('.'));
    return value === undefined ? [] : [value];
  }
  const container = star === 0 ? node : getPath(node, segments.slice(0, star).join('.'));
  if (container === null || typeof container !== 'object') return [];
  const items = Array.isArray(container) ? container : Object.values(container);
  const rest = segments.slice(star + 1);
  return items.flatMap((item) => (rest.length === 0 ? [item] : valuesAt(item, rest)));
}
