/** Case-insensitive access to request headers, strict about missing, repeated and non-text signature headers. */
import { malformed } from './webhook-scheme.js';
import type { WebhookFailure, WebhookHeaders } from './webhook-types.js';

/** The values of one header name (every spelling of it), and whether any of them was not text. */
interface HeaderEntry {
  values: string[];
  notText: boolean;
}

/**
 * Headers arrive from JavaScript callers, so a value may be anything. `null` and `undefined` count as absent; any
 * other value that is not a string (or an array of strings) makes that header unusable — `required` then refuses it,
 * `optional` ignores it — without affecting the headers a scheme does not read.
 *
 * @example
 * const headers = new WebhookHeaderReader({ 'x-hub-signature-256': 'sha256=…' });
 * headers.required('X-Hub-Signature-256'); // 'sha256=…'
 * headers.required('X-GitHub-Event');      // { ok: false, reason: 'missing X-GitHub-Event header' }
 */
export class WebhookHeaderReader {
  readonly #entries = new Map<string, HeaderEntry>();

  constructor(headers: WebhookHeaders) {
    for (const [name, value] of Object.entries(headers) as Array<[string, unknown]>) {
      if (value === undefined || value === null) continue;
      const key = name.toLowerCase();
      const entry = this.#entries.get(key) ?? { values: [], notText: false };
      // Never `String(value)`: an object's toString is the caller's code (and a null-prototype object has none).
      const items: readonly unknown[] = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [value];
      for (const item of items) {
        if (typeof item !== 'string') entry.notText = true;
        else if (item.trim() !== '') entry.values.push(item.trim());
      }
      this.#entries.set(key, entry);
    }
  }

  /** The one value of a header; a failure naming the header when it is absent, empty, repeated or not text. */
  required(name: string): string | WebhookFailure {
    const entry = this.#entries.get(name.toLowerCase());
    if (entry?.notText) return malformed(name, 'text');
    const values = entry?.values ?? [];
    if (values.length === 0) return { ok: false, reason: `missing ${name} header` };
    if (values.length > 1) return { ok: false, reason: `multiple ${name} headers` };
    return values[0] as string;
  }

  /** The first value of a header, if any and if text (delivery ids and content types, which nothing trusts). */
  optional(name: string): string | undefined {
    const entry = this.#entries.get(name.toLowerCase());
    return entry?.notText ? undefined : entry?.values[0];
  }
}
