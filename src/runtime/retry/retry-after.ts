/** Reading a server's requested wait from response headers. */

export type HeaderMap = Record<string, string | string[] | number | undefined>;

/** A header's value by case-insensitive name; the first of repeated values. */
export function headerValue(headers: HeaderMap | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  // Node gives response headers lower-cased: look there first, scan only for hand-built maps.
  const direct = Object.hasOwn(headers, lower) ? headers[lower] : undefined;
  if (direct !== undefined) return Array.isArray(direct) ? direct[0] : String(direct);
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== lower || v === undefined) continue;
    return Array.isArray(v) ? v[0] : String(v);
  }
  return undefined;
}

/**
 * The wait, in ms, a response asks for: `retry-after-ms` (milliseconds), then `retry-after` (seconds or an HTTP
 * date), then an optional platform-specific header in seconds. `undefined` when none is present or readable.
 *
 * @example
 * parseRetryAfterMs({ 'retry-after': '2' });                   // 2000
 * parseRetryAfterMs({ 'retry-after-ms': '150' });              // 150
 * parseRetryAfterMs({ 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }, { now: Date.parse('Wed, 21 Oct 2015 07:27:58 GMT') }); // 2000
 */
export function parseRetryAfterMs(
  headers: HeaderMap | undefined,
  options: { now?: number; header?: string } = {},
): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined && /^\s*\d+(?:\.\d+)?\s*$/.test(ms)) return Math.max(0, Number.parseFloat(ms));

  const names = ['retry-after'];
  if (options.header && options.header.toLowerCase() !== 'retry-after') names.push(options.header);
  for (const name of names) {
    const value = headerValue(headers, name)?.trim();
    if (value === undefined || value === '') continue;
    if (/^\d+(?:\.\d+)?$/.test(value)) return Math.max(0, Math.round(Number.parseFloat(value) * 1000));
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return Math.max(0, date - (options.now ?? Date.now()));
  }
  return undefined;
}
