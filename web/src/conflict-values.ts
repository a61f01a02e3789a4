/**
 * Conflict values as the conflicts table shows and edits them: a field's base, local and remote value as text, and
 * an edited merged value turned back into JSON of the same kind as the platform's (remote) value.
 */

/** The pseudo-field of a deletion conflict (the record deleted on one side, changed on the other). */
export const DELETED_FIELD = '_deleted';

/**
 * A value as display text: strings as they are, `null`/missing as `(empty)`, others as JSON.
 * @example
 * conflictValueText({ a: 1 }); // '{"a":1}'
 */
export function conflictValueText(value: unknown): string {
  if (value === undefined || value === null) return '(empty)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The text an edit box starts with for a value: strings as they are, null as nothing, others as JSON. */
export function editableText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * An edited value back as JSON, shaped like `like` (the remote value it was prefilled with): text stays text when
 * `like` is a string; otherwise the text is read as JSON (a number, `true`, an object…) and, when it is not JSON,
 * kept as text. An empty box is `null` unless `like` is a string.
 * @example
 * parseEdited('42', 7); // 42
 * parseEdited('42', 'x'); // '42'
 */
export function parseEdited(text: string, like: unknown): unknown {
  if (typeof like === 'string') return text;
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The `data` of a merge resolution: every conflicting field with its edited value (deletion pseudo-fields left
 * out). `edits` holds the text of each field's box; a field without an edit keeps its remote value.
 */
export function mergedData(
  fields: Readonly<Record<string, { remote: unknown }>>,
  edits: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, values] of Object.entries(fields)) {
    if (name === DELETED_FIELD) continue;
    const edit = edits[name];
    out[name] = edit === undefined ? (values.remote ?? null) : parseEdited(edit, values.remote);
  }
  return out;
}
