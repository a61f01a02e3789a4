/**
 * Text the service stores (labels, connection settings): PostgreSQL refuses NUL in `text` and `jsonb`, and a lone
 * UTF-16 surrogate cannot be encoded as UTF-8, so both are refused as bad input here rather than failing as a 500
 * inside an insert.
 */
import { z } from 'zod';

/** A UTF-16 surrogate without its pair. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether PostgreSQL can store this string as text: well-formed UTF-16 and no NUL. */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && !LONE_SURROGATE.test(value);
}

/**
 * A trimmed, non-empty label of at most `max` characters that PostgreSQL can store.
 * @example
 * z.object({ label: storableLabel(200).optional() });
 */
export function storableLabel(max: number) {
  return z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine(isStorableText, 'must be text without NUL characters or unpaired surrogates');
}
