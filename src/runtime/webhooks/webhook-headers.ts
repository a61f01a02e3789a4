/** Case-insensitive access to request headers, strict about missing and repeated signature headers. */
import type { WebhookFailure, WebhookHeaders } from './webhook-types.js';

/**
 * @example
 * const headers = new WebhookHeaderReader({ 'x-hub-signature-256': 'sha256=…' });
 * headers.required('X-Hub-Signature-256'); // 'sha256=…'
 * headers.required('X-GitHub-Event');      // { ok: false, reason: 'missing X-GitHub-Event header' }
 */
export class WebhookHeaderReader {
  readonly #values = new Map<string, string[]>();

  constructor(headers: WebhookHeaders) {
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue;
      const key = name.toLowerCase();
      const list = this.#values.get(key) ?? [];
      for (const item of typeof value === 'string' ? [value] : value) {
        const trimmed = String(item).trim();
        if (trimmed !== '') list.push(trimmed);
      }
      this.#values.set(key, list);
    }
  }

  /** The one value of a header; a failure naming the header when it is absent, empty or repeated. */
  required(name: string): string | WebhookFailure {
    const values = this.#values.get(name.toLowerCase()) ?? [];
    if (values.length === 0) return { ok: false, reason: `missing ${name} header` };
    if (values.length > 1) return { ok: false, reason: `multiple ${name} headers` };
    return values[0] as string;
  }

  /** The first value of a header, if any (delivery ids and content types, which nothing trusts). */
  optional(name: string): string | undefined {
    return this.#values.get(name.toLowerCase())?.[0];
  }
}
