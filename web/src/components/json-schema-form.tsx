/**
 * A form generated from JSON Schema objects (the registry's `credentials_schema`, `connection_config_schema`…):
 * one labelled field per property, help text from its description, secrets (`writeOnly`) as password inputs,
 * required fields marked in words, and checks for required / pattern / minLength / maxLength / number before
 * anything is sent (key the form by what it is for: its fields are read on the first render). When `onSubmit` rejects with the API's problem, each message lands next to the field its JSON
 * Pointer names (`/credentials/apiKey`), and a summary at the top lists every error with a link to its field.
 *
 * @example
 * <JsonSchemaForm
 *   parts={[{ key: 'credentials', schema: integration.credentials_schema }]}
 *   submitLabel="Connect"
 *   onSubmit={(values) => ok(api.POST('/integrations/{integration_id}/connect', { … body: values }))}
 * />
 */
import { type FormEvent, type ReactNode, useId, useRef, useState } from 'react';
import { ApiProblem } from '../api/client';
import { fieldLabel } from '../field-label';

/** One property of a schema, as far as the form reads it. */
export interface JsonSchemaProperty {
  type?: string | string[];
  title?: string;
  description?: string;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  examples?: unknown[];
  default?: unknown;
  writeOnly?: boolean;
  /** A host suffix the value may also be written with (`acme.myshopify.com` for `acme`). */
  'x-host-suffix'?: string;
}

export interface JsonSchemaObject {
  type?: string;
  properties?: Record<string, JsonSchemaProperty | Record<string, unknown>>;
  required?: string[];
}

/** One schema of the form and where its values go. */
export interface SchemaFormPart {
  /**
   * The member of the submitted object that holds this part's values, and the first segment of its fields' JSON
   * Pointers (`credentials` → `/credentials/apiKey`). `''` puts the fields at the top level (`/label`).
   */
  key: string;
  schema: JsonSchemaObject;
  /** Groups the part's fields in a fieldset with this legend. */
  legend?: string;
}

export type SchemaFormValues = Record<string, unknown>;

export interface JsonSchemaFormProps {
  parts: SchemaFormPart[];
  submitLabel: string;
  /** The button's text while `onSubmit` runs. */
  busyLabel?: string;
  /** Sends the values; reject with an `ApiProblem` to show its messages at the fields. */
  onSubmit: (values: SchemaFormValues) => Promise<void>;
  /** A field's label; defaults to the schema's `title`, else a label made from the name (`apiKey` → "API key"). */
  label?: (name: string, partKey: string) => string;
  /** Empty the fields again after a successful submit (secrets should not stay on screen). */
  resetOnSuccess?: boolean;
  /** Shown between the fields and the button. */
  children?: ReactNode;
}

interface Field {
  pointer: string;
  partKey: string;
  name: string;
  id: string;
  label: string;
  property: JsonSchemaProperty;
  required: boolean;
  kind: 'text' | 'password' | 'textarea' | 'number' | 'checkbox' | 'select';
}

interface ShownError {
  pointer?: string;
  text: string;
}

interface Summary {
  title: string;
  errors: ShownError[];
}

/** A JSON Pointer segment (RFC 6901). */
/** One column that may shrink below its content's widest word, so a long example wraps instead of widening the page. */
const ONE_COLUMN = { gridTemplateColumns: 'minmax(0, 1fr)', minWidth: 0, overflowWrap: 'break-word' } as const;

function segment(name: string): string {
  return `/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** The JSON Pointer of a field in the submitted body. */
export function pointerOf(partKey: string, name: string): string {
  return `${partKey ? segment(partKey) : ''}${segment(name)}`;
}

function typeOf(property: JsonSchemaProperty): string | undefined {
  return Array.isArray(property.type) ? property.type.find((t) => t !== 'null') : property.type;
}

function kindOf(name: string, property: JsonSchemaProperty): Field['kind'] {
  const type = typeOf(property);
  if (Array.isArray(property.enum) && property.enum.length > 0) return 'select';
  if (type === 'boolean') return 'checkbox';
  if (type === 'number' || type === 'integer') return 'number';
  // PEM keys and certificates are several lines long.
  if (/private_?key|certificate|pem$/i.test(name) || property.format === 'textarea') return 'textarea';
  if (property.writeOnly) return 'password';
  return 'text';
}

/**
 * A message about a field as one sentence naming it: the API's fragments ("is required") follow the label, whole
 * sentences follow "Label:".
 * @example
 * fieldSentence('API key', 'must be a string'); // 'API key must be a string'
 */
export function fieldSentence(label: string, message: string): string {
  return /^[a-z]/.test(message) ? `${label} ${message}` : `${label}: ${message}`;
}

/** A message as a sentence: capitalised. */
function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The value of a text field as the API will check it: a host suffix removed, as the service does. */
function bareValue(value: string, property: JsonSchemaProperty): string {
  const suffix = property['x-host-suffix'];
  if (suffix && value.toLowerCase().endsWith(suffix.toLowerCase()) && value.length > suffix.length) {
    return value.slice(0, value.length - suffix.length);
  }
  return value;
}

/**
 * The client-side check of one value (already trimmed); `undefined` when it is fine.
 * @example
 * checkValue({ type: 'string', minLength: 1 }, '', true, 'API key'); // 'API key is required.'
 */
export function checkValue(
  property: JsonSchemaProperty,
  value: string | boolean,
  required: boolean,
  label: string,
): string | undefined {
  if (typeof value === 'boolean') return undefined;
  if (value === '') return required ? `${label} is required.` : undefined;
  const type = typeOf(property);
  if (type === 'number' || type === 'integer') {
    const n = Number(value);
    if (!Number.isFinite(n)) return `${label} must be a number.`;
    if (type === 'integer' && !Number.isInteger(n)) return `${label} must be a whole number.`;
    return undefined;
  }
  if (property.minLength !== undefined && [...value].length < property.minLength) {
    return `${label} must be at least ${property.minLength} character${property.minLength === 1 ? '' : 's'} long.`;
  }
  if (property.maxLength !== undefined && [...value].length > property.maxLength) {
    return `${label} must be at most ${property.maxLength} characters long.`;
  }
  if (property.pattern) {
    let pattern: RegExp | undefined;
    try {
      pattern = new RegExp(property.pattern);
    } catch {
      pattern = undefined; // a pattern this browser cannot read is left to the service
    }
    if (pattern && !pattern.test(bareValue(value, property))) {
      const example = property.examples?.[0];
      return example === undefined
        ? `${label} is not in the expected form (${property.pattern}).`
        : `${label} is not in the expected form: it should look like “${String(example)}”.`;
    }
  }
  return undefined;
}

function helpText(property: JsonSchemaProperty): string {
  const parts: string[] = [];
  if (property.description) parts.push(property.description.trim());
  const example = property.examples?.[0];
  const suffix = property['x-host-suffix'];
  if (example !== undefined && example !== property.default) {
    parts.push(
      `Example: ${String(example)}${suffix && !String(example).endsWith(suffix) ? ` (or ${String(example)}${suffix})` : ''}.`,
    );
  }
  if (property.default !== undefined) parts.push(`Default: ${String(property.default)}.`);
  return parts.join(' ');
}

function initialValues(fields: Field[]): Record<string, string | boolean> {
  const values: Record<string, string | boolean> = {};
  for (const f of fields) {
    const d = f.property.default;
    values[f.pointer] =
      f.kind === 'checkbox' ? d === true : d === undefined || d === null || typeof d === 'object' ? '' : String(d);
  }
  return values;
}

/** A value as the API takes it: trimmed (except passwords), numbers as numbers, empty left out. */
function submitted(field: Field, raw: string | boolean): unknown {
  if (typeof raw === 'boolean') return raw;
  const value = /password/i.test(field.name) ? raw : raw.trim();
  if (value === '') return undefined;
  if (field.kind === 'number') return Number(value);
  return value;
}

export function JsonSchemaForm({
  parts,
  submitLabel,
  busyLabel,
  onSubmit,
  label,
  resetOnSuccess,
  children,
}: JsonSchemaFormProps) {
  const baseId = useId();
  let position = 0;
  const fields: Field[] = parts.flatMap((part) =>
    Object.entries(part.schema.properties ?? {}).map(([name, raw]): Field => {
      const property = raw as JsonSchemaProperty;
      return {
        pointer: pointerOf(part.key, name),
        partKey: part.key,
        name,
        // Ids from the position, not the name: a field name may hold characters an id should not.
        id: `${baseId}-field-${position++}`,
        label: label?.(name, part.key) ?? property.title ?? fieldLabel(name),
        property,
        required: part.schema.required?.includes(name) ?? false,
        kind: kindOf(name, property),
      };
    }),
  );
  const [values, setValues] = useState(() => initialValues(fields));
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [summary, setSummary] = useState<Summary>();
  const [busy, setBusy] = useState(false);
  const summaryRef = useRef<HTMLDivElement>(null);

  const currentValue = (f: Field) => values[f.pointer] ?? (f.kind === 'checkbox' ? false : '');

  function showSummary(next: Summary, errors: Record<string, string>) {
    setFieldErrors(errors);
    setSummary(next);
    // After React has drawn it: move focus to the summary so it is read and its links are next in the tab order.
    requestAnimationFrame(() => summaryRef.current?.focus());
  }

  function problemSummary(error: unknown): [Summary, Record<string, string>] {
    if (!(error instanceof ApiProblem)) {
      const text = error instanceof Error ? error.message : String(error);
      return [{ title: 'The service could not be reached', errors: [{ text }] }, {}];
    }
    const errors: Record<string, string> = {};
    const listed: ShownError[] = [];
    for (const e of error.errors) {
      const field = fields.find((f) => f.pointer === e.path);
      if (field) {
        const text = fieldSentence(field.label, e.message);
        errors[field.pointer] = errors[field.pointer] ? `${errors[field.pointer]} ${text}` : text;
        listed.push({ pointer: field.pointer, text });
      } else {
        listed.push({ text: e.path ? `${e.path}: ${e.message}` : sentence(e.message) });
      }
    }
    // Without field errors the detail is the whole story ("Stripe did not accept the connection: …").
    if (listed.length === 0) listed.push({ text: sentence(error.message) });
    return [{ title: error.title, errors: listed }, errors];
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    const errors: Record<string, string> = {};
    const listed: ShownError[] = [];
    for (const f of fields) {
      const raw = currentValue(f);
      const message = checkValue(f.property, typeof raw === 'string' ? raw.trim() : raw, f.required, f.label);
      if (message) {
        errors[f.pointer] = message;
        listed.push({ pointer: f.pointer, text: message });
      }
    }
    if (listed.length > 0) {
      showSummary(
        { title: `Check ${listed.length === 1 ? 'this field' : `these ${listed.length} fields`}`, errors: listed },
        errors,
      );
      return;
    }
    const body: SchemaFormValues = {};
    for (const part of parts) if (part.key) body[part.key] = {};
    for (const f of fields) {
      const value = submitted(f, currentValue(f));
      if (value === undefined) continue;
      if (f.partKey) (body[f.partKey] as Record<string, unknown>)[f.name] = value;
      else body[f.name] = value;
    }
    setBusy(true);
    setSummary(undefined);
    setFieldErrors({});
    try {
      await onSubmit(body);
      if (resetOnSuccess) setValues(initialValues(fields));
    } catch (error) {
      const [next, errors] = problemSummary(error);
      showSummary(next, errors);
    } finally {
      setBusy(false);
    }
  }

  const focusField = (pointer: string) => {
    const field = fields.find((f) => f.pointer === pointer);
    const element = field ? document.getElementById(field.id) : null;
    element?.scrollIntoView({ block: 'center' });
    element?.focus();
  };

  const renderField = (f: Field) => {
    const helpId = `${f.id}-help`;
    const errorId = `${f.id}-error`;
    const help = helpText(f.property);
    const error = fieldErrors[f.pointer];
    const describedBy = [help ? helpId : '', error ? errorId : ''].filter(Boolean).join(' ') || undefined;
    // The field's help and its error, which the control names in aria-describedby.
    const notes = (
      <>
        {help ? (
          <p className="help" id={helpId}>
            {help}
          </p>
        ) : null}
        {error ? (
          <p className="field-error" id={errorId} style={{ margin: 0 }}>
            {error}
          </p>
        ) : null}
      </>
    );
    const value = currentValue(f);
    const common = {
      id: f.id,
      name: f.pointer,
      required: f.required,
      'aria-invalid': error ? true : undefined,
      'aria-describedby': describedBy,
    } as const;
    const setValue = (next: string | boolean) => setValues((v) => ({ ...v, [f.pointer]: next }));
    // "(required)" sits beside the label, not in it: the field's name stays exactly its label ("API key"), and
    // assistive technology hears "required" from the attribute.
    const requiredMark = f.required ? (
      <span className="muted" aria-hidden="true">
        {' '}
        (required)
      </span>
    ) : null;

    if (f.kind === 'checkbox') {
      return (
        <div className="form-field" style={ONE_COLUMN} key={f.pointer}>
          <label className="check" htmlFor={f.id}>
            <input {...common} type="checkbox" checked={value === true} onChange={(e) => setValue(e.target.checked)} />
            {f.label}
          </label>
          {requiredMark}
          {notes}
        </div>
      );
    }

    const text = typeof value === 'string' ? value : '';
    const textProps = {
      ...common,
      value: text,
      autoComplete: 'off',
      autoCapitalize: 'off',
      spellCheck: false,
      onChange: (e: { target: { value: string } }) => setValue(e.target.value),
    } as const;
    let control: ReactNode;
    if (f.kind === 'select') {
      control = (
        <select {...common} value={text} onChange={(e) => setValue(e.target.value)}>
          {f.required ? null : <option value="">(none)</option>}
          {f.required && text === '' ? <option value="">Choose…</option> : null}
          {(f.property.enum ?? []).map((option) => (
            <option key={String(option)} value={String(option)}>
              {String(option)}
            </option>
          ))}
        </select>
      );
    } else if (f.kind === 'textarea') {
      control = <textarea {...textProps} rows={5} />;
    } else {
      control = (
        <input
          {...textProps}
          type={f.kind === 'password' ? 'password' : 'text'}
          inputMode={f.kind === 'number' ? 'numeric' : undefined}
        />
      );
    }
    return (
      <div className="form-field" style={ONE_COLUMN} key={f.pointer}>
        <div>
          <label htmlFor={f.id}>{f.label}</label>
          {requiredMark}
        </div>
        {notes}
        {control}
      </div>
    );
  };

  return (
    <form className="form-grid" style={ONE_COLUMN} onSubmit={submit} noValidate>
      {summary ? (
        <div className="problem" role="alert" tabIndex={-1} ref={summaryRef}>
          <p>
            <strong>{summary.title}</strong>
          </p>
          <ul>
            {summary.errors.map((e, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: the list is rebuilt whole on each submit
              <li key={i}>
                {e.pointer ? (
                  <a
                    href={`#${fields.find((f) => f.pointer === e.pointer)?.id ?? ''}`}
                    onClick={(event) => {
                      // The page routes by the fragment: focus the field instead of following the link.
                      event.preventDefault();
                      focusField(e.pointer as string);
                    }}
                  >
                    {e.text}
                  </a>
                ) : (
                  e.text
                )}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {parts.map((part) => {
        const own = fields.filter((f) => f.partKey === part.key);
        if (own.length === 0) return null;
        return part.legend ? (
          <fieldset key={part.key || 'top'} className="form-grid" style={ONE_COLUMN}>
            <legend>{part.legend}</legend>
            {own.map(renderField)}
          </fieldset>
        ) : (
          own.map(renderField)
        );
      })}
      {children}
      <div>
        {/* Not disabled while busy: a disabled button drops the keyboard focus. */}
        <button type="submit" aria-disabled={busy || undefined}>
          {busy ? (busyLabel ?? 'Sending…') : submitLabel}
        </button>
      </div>
    </form>
  );
}
