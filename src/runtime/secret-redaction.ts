/**
 * Keeping credentials out of errors and logs.
 *
 * Three tools, used wherever the runtime keeps or prints request data: header maps lose their sensitive values,
 * URLs lose user-info and sensitive query values, and any string loses every occurrence of a known secret value.
 */

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/** Names (headers, query parameters, JSON keys) whose values are credentials. */
const SENSITIVE_NAME =
  /authori[sz]ation|cookie|token|secret|passw(?:or)?d|api[-_]?key|apikey|signature|session|credential|private[-_]?key|access[-_]?key|hmac|^key$|^code$|^code[-_]verifier$|^sig$|^auth$|^client[-_]assertion$/i;

/** Names that contain a sensitive word but carry no secret (pagination tokens, rate-limit figures). */
const BENIGN_NAME =
  /page[-_]?token|next[-_]?token|continuation|cursor|rate[-_]?limit|idempotency|token[-_]?type|expires/i;

/** Secret values shorter than this are not searched for in free text (they would match too much). */
const MIN_SECRET_LENGTH = 4;

export interface RedactionOptions {
  /** More names to treat as sensitive (e.g. a platform's api-key query parameter). */
  names?: Iterable<string>;
  /** Secret values to remove wherever they appear. */
  secrets?: Iterable<string>;
}

/**
 * Whether a header, query parameter or JSON key name carries a credential.
 *
 * @example
 * isSensitiveName('Authorization'); // true
 * isSensitiveName('page_token');    // false
 */
export function isSensitiveName(name: string, extra?: Iterable<string>): boolean {
  if (extra) {
    const lower = name.toLowerCase();
    for (const e of extra) if (e.toLowerCase() === lower) return true;
  }
  return SENSITIVE_NAME.test(name) && !BENIGN_NAME.test(name);
}

/**
 * Replaces every occurrence of the given secret values in a string.
 *
 * @example
 * redactString('key sk_live_123 rejected', ['sk_live_123']); // 'key [REDACTED] rejected'
 */
export function redactString(text: string, secrets: Iterable<string> | undefined): string {
  if (!secrets) return text;
  let out = text;
  // Longest first, so a secret that contains another is removed whole.
  const list = [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  for (const secret of list) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join(REDACTED);
  }
  return out;
}

/**
 * A copy of a header map with sensitive values replaced, and known secret values removed from the others.
 *
 * @example
 * redactHeaders({ authorization: 'Bearer x', 'content-type': 'application/json' });
 * // { authorization: '[REDACTED]', 'content-type': 'application/json' }
 */
export function redactHeaders(
  headers: Record<string, string | string[] | number | undefined> | undefined,
  options: RedactionOptions = {},
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (isSensitiveName(name, options.names)) {
      out[name] = REDACTED;
    } else if (Array.isArray(value)) {
      out[name] = value.map((v) => redactString(String(v), options.secrets));
    } else {
      out[name] = redactString(String(value), options.secrets);
    }
  }
  return out;
}

/** A part of a credential-bearing value shorter than this is not redacted on its own (`SignedHeaders`, `host`). */
const MIN_DERIVED_PART_LENGTH = 16;

/**
 * The secret values a request carried: each credential-bearing header and query value as sent (a Basic
 * `Authorization`, a bearer token obtained for a service account or a client-credentials grant, a signature
 * header), and the parts a server may echo on their own — the credentials after an auth scheme (`Basic …`,
 * `Bearer …`, `SharedKey …`) and long components inside them (a SigV4 `Signature=…`).
 *
 * @example
 * sentSecrets({ Authorization: 'Basic dXNlcjpwYXNz', Accept: 'application/json' }, new URLSearchParams());
 * // ['Basic dXNlcjpwYXNz', 'dXNlcjpwYXNz']
 */
export function sentSecrets(
  headers: Readonly<Record<string, string>>,
  query: URLSearchParams | undefined,
  names?: Iterable<string>,
): string[] {
  const out = new Set<string>();
  const add = (value: string) => {
    if (value.length < MIN_SECRET_LENGTH) return;
    out.add(value);
    const scheme = /^[A-Za-z][\w.+-]*\s+(\S.*)$/s.exec(value);
    const credentials = scheme?.[1] ?? value;
    if (scheme) out.add(credentials);
    for (const part of credentials.split(/[\s,;:=]+/)) {
      if (part.length >= MIN_DERIVED_PART_LENGTH) out.add(part);
    }
  };
  const extra = names === undefined ? undefined : [...names];
  for (const [name, value] of Object.entries(headers)) if (isSensitiveName(name, extra)) add(value);
  if (query) for (const [name, value] of query) if (isSensitiveName(name, extra)) add(value);
  return [...out];
}

/**
 * A URL safe to log: user-info dropped, sensitive query values replaced, known secret values removed.
 * Text that does not parse as a URL is only stripped of secret values.
 *
 * @example
 * redactUrl('https://graph.example.com/v1/me?access_token=abc&after=Q1'); // '…/v1/me?access_token=%5BREDACTED%5D&after=Q1'
 */
export function redactUrl(url: string, options: RedactionOptions = {}): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactString(url, options.secrets);
  }
  parsed.username = '';
  parsed.password = '';
  for (const name of new Set(parsed.searchParams.keys())) {
    if (isSensitiveName(name, options.names)) parsed.searchParams.set(name, REDACTED);
  }
  return redactString(parsed.toString(), options.secrets);
}

/**
 * A deep copy of a JSON-like value with sensitive keys' values replaced and secret values removed from strings.
 * Used on response bodies kept in errors.
 */
export function redactValue<T>(value: T, options: RedactionOptions = {}, depth = 0): T {
  if (depth > 32) return REDACTED as T;
  if (typeof value === 'string') return redactString(value, options.secrets) as T;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, options, depth + 1)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      // Defined, not assigned: a key named `__proto__` (JSON.parse makes it an own property) stays a plain key
      // instead of replacing the copy's prototype.
      Object.defineProperty(out, k, {
        value:
          isSensitiveName(k, options.names) && v !== null && typeof v !== 'object'
            ? REDACTED
            : redactValue(v, options, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out as T;
  }
  return value;
}
