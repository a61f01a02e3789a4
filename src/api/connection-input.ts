/**
 * Checking a connect request's `credentials` and `connection_config` against the platform's own fields — the names
 * the registry's `credentials_schema` and `connection_config_schema` publish — reporting every field at fault with
 * its JSON Pointer. Values are never echoed (a credential could be in the wrong field).
 */
import type { PlatformMeta } from '../runtime/adapter-types.js';
import { credentialFieldsOf } from '../runtime/credential-fields.js';
import type { FieldProblem } from './problem.js';
import { isStorableText } from './storable-text.js';

const MAX_VALUE_LENGTH = 16_384;

/** What an HTTP header value can carry: tab, printable ASCII and Latin-1. */
const HEADER_SAFE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * @returns the problems, empty when both parts are valid.
 * @example
 * checkConnectionInput(stripeMeta, { apiKey: 1 }, {}); // [{ in: 'body', path: '/credentials/apiKey', message: 'must be a string' }]
 */
export function checkConnectionInput(
  meta: PlatformMeta,
  credentials: Record<string, unknown>,
  connectionConfig: Record<string, unknown>,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const at = (part: string, name: string, message: string) =>
    problems.push({ in: 'body', path: `/${part}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`, message });

  const fields = credentialFieldsOf(meta.auth);
  // Basic-auth halves travel base64-encoded, so any printable text is fine there.
  const basicAuthFields = new Set(
    meta.auth.kind === 'basic' ? [meta.auth.usernameField, meta.auth.passwordField ?? ''] : [],
  );
  const known = new Set(fields.map((f) => f.name));
  for (const field of fields) {
    const value = credentials[field.name];
    if (value === undefined || value === null || value === '') {
      if (field.required) at('credentials', field.name, `is required (${field.description})`);
      continue;
    }
    if (field.type === 'number') {
      if (typeof value !== 'number' || !Number.isFinite(value)) at('credentials', field.name, 'must be a number');
    } else if (typeof value !== 'string') {
      at('credentials', field.name, 'must be a string');
    } else if (value.length > MAX_VALUE_LENGTH) {
      at('credentials', field.name, `must be at most ${MAX_VALUE_LENGTH} characters`);
    } else if (!isStorableText(value)) {
      at('credentials', field.name, 'must be text without NUL characters or unpaired surrogates');
    } else if (field.name !== 'privateKey' && !basicAuthFields.has(field.name) && !HEADER_SAFE.test(value)) {
      // Sent as (or inside) an HTTP header: only what a header can carry.
      at('credentials', field.name, 'must hold only printable characters (it is sent in an HTTP header)');
    } else if (/[\r\n\0]/.test(value) && field.name !== 'privateKey') {
      at('credentials', field.name, 'must not contain line breaks or NUL');
    }
  }
  for (const name of Object.keys(credentials)) {
    if (!known.has(name))
      at('credentials', name, `is not a credential of ${meta.name} (expected ${[...known].join(', ')})`);
  }

  const variables = meta.connectionConfig;
  for (const [name, variable] of Object.entries(variables)) {
    const value = connectionConfig[name];
    if (value === undefined || value === null || value === '') {
      if (variable.default === undefined) at('connection_config', name, `is required (${variable.description})`);
      continue;
    }
    if (typeof value !== 'string') {
      at('connection_config', name, 'must be a string');
      continue;
    }
    if (!isStorableText(value)) {
      at('connection_config', name, 'must be text without NUL characters or unpaired surrogates');
      continue;
    }
    if (value.length > 253) {
      at('connection_config', name, 'must be at most 253 characters');
      continue;
    }
    const suffix = variable.hostSuffix;
    const bare =
      suffix && value.toLowerCase().endsWith(suffix.toLowerCase()) && value.length > suffix.length
        ? value.slice(0, value.length - suffix.length)
        : value.trim();
    if (!new RegExp(variable.pattern).test(bare)) {
      at(
        'connection_config',
        name,
        `does not match the pattern ${variable.pattern} (e.g. ${JSON.stringify(variable.example)})`,
      );
    }
  }
  for (const name of Object.keys(connectionConfig)) {
    if (!Object.hasOwn(variables, name)) {
      const expected = Object.keys(variables);
      at(
        'connection_config',
        name,
        expected.length > 0
          ? `is not a connection setting of ${meta.name} (expected ${expected.join(', ')})`
          : `${meta.name} takes no connection settings`,
      );
    }
  }
  return problems;
}

/** A runtime error's `field` (`connectionConfig.shop`, `credentials.apiKey`) as a request pointer. */
export function pointerForField(field: string): string {
  const [part, ...rest] = field.split('.');
  const name = rest.join('.');
  if (part === 'connectionConfig') return `/connection_config/${name}`;
  if (part === 'credentials') return `/credentials/${name}`;
  return `/${field}`;
}
