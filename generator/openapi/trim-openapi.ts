/**
 * Trims an official OpenAPI 3.x description down to what a platform's config uses: the configured operations, the
 * record schemas, and everything those reach through `$ref` — minus the prose that does not change a type.
 *
 * Pure: no I/O, the input is never mutated, and the result is deterministic (keys sorted recursively, arrays kept
 * in order, no dates or paths). `serializeOpenApi` turns it into the bytes stored in `configs/openapi/<id>.json`.
 */
import { compareStrings } from '../compare.js';
import { InputError } from '../errors.js';

/** One configured endpoint. `path` is the full path as the description writes it, base path included. */
export interface OpenApiOperationRef {
  path: string;
  method: string;
}

/** What to keep from a description. */
export interface OpenApiSelection {
  operations: readonly OpenApiOperationRef[];
  /** `components.schemas` names used as record types. */
  schemas: readonly string[];
}

/** Where a description came from; recorded as `info['x-engarde-source']`. */
export interface OpenApiSource {
  /** Canonical public URL of the official description. */
  url: string;
  /** The description's version; defaults to its `info.version`. */
  version?: string;
}

/** The provenance stamp `trimOpenApi` writes into `info`. */
export interface EngardeSourceStamp {
  url: string;
  version: string;
  importedWith: 'engarde import-openapi';
}

/** A JSON object as parsed from a description. */
export type JsonObject = { [key: string]: unknown };

/** A trimmed description: an OpenAPI 3.x document whose `info` carries the provenance stamp. */
export interface TrimmedOpenApi extends JsonObject {
  openapi: string;
  info: { title: string; version: string; 'x-engarde-source': EngardeSourceStamp };
  paths: JsonObject;
}

/** A description engarde cannot work with (not OpenAPI 3.x, external or dangling `$ref`s); `problems` lists each. */
export class OpenApiDocumentError extends InputError {
  readonly problems: readonly string[];
  constructor(message: string, problems: readonly string[] = []) {
    super(problems.length > 0 ? `${message}:\n${problems.map((p) => `  ${p}`).join('\n')}` : message);
    this.problems = problems;
  }
}

/** The config asks for paths, methods or schemas the description does not have; `problems` names each one. */
export class OpenApiSelectionError extends OpenApiDocumentError {
  constructor(problems: readonly string[]) {
    super('each configured path and method must exist in the official description', problems);
  }
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Keys that only document: dropped from every fixed-field object (never from name-keyed maps such as `properties`). */
const PROSE_KEYS = new Set([
  'description',
  'summary',
  'title',
  'example',
  'examples',
  'externalDocs',
  'tags',
  '$comment',
]);

/** Keys whose object value maps user-chosen names to objects (schemas, responses, media types...). */
const MAP_KEYS = new Set([
  'properties',
  'patternProperties',
  '$defs',
  'definitions',
  'dependentSchemas',
  'dependencies',
  'paths',
  'webhooks',
  'schemas',
  'responses',
  'parameters',
  'requestBodies',
  'headers',
  'securitySchemes',
  'links',
  'callbacks',
  'pathItems',
  'content',
  'encoding',
  'mapping',
  'variables',
  'scopes',
]);

/** Keys whose value is data (copied as is): enum members, defaults, names of required properties, requirements. */
const DATA_KEYS = new Set(['enum', 'const', 'default', 'required', 'dependentRequired', 'security']);

/** `/v1/customers/{customer}` → `/v1/customers/{}`: the shape two path templates must share to match. */
export function pathShape(path: string): string {
  return path.replace(/\{[^}]*\}/g, '{}');
}

/**
 * Whether two path templates name the same endpoint: equal apart from parameter names.
 *
 * @example
 * pathsMatch('/v1/customers/{id}', '/v1/customers/{customer}'); // true
 * pathsMatch('/v1/customers/{id}', '/v1/customers/search');     // false
 */
export function pathsMatch(a: string, b: string): boolean {
  return pathShape(a) === pathShape(b);
}

/** The description's path template matching a configured path, or `undefined`. Throws when several match. */
export function findPathTemplate(specPaths: Iterable<string>, path: string): string | undefined {
  const found = [...specPaths].filter((p) => pathsMatch(p, path)).sort(compareStrings);
  if (found.length > 1) {
    throw new OpenApiDocumentError(`ambiguous path ${path}`, [`matches ${found.join(', ')}`]);
  }
  return found[0];
}

/** Sorts object keys recursively; arrays keep their order. Returns a new value. */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort(compareStrings)
      .map((k) => [k, sortKeysDeep(value[k])]),
  );
}

/** The bytes of a trimmed description on disk: two-space JSON, LF, final newline. */
export function serializeOpenApi(doc: TrimmedOpenApi): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * Keeps the selected operations and schemas of an OpenAPI 3.x description and the transitive closure of the
 * components (of every kind) they reference; drops prose (`description`, `summary`, `title`, `example(s)`,
 * `externalDocs`, `tags`) and every `x-` vendor extension, none of which changes a generated type.
 *
 * @example
 * const trimmed = trimOpenApi(
 *   stripeSpec,
 *   { operations: [{ method: 'GET', path: '/v1/customers/{id}' }], schemas: ['customer'] },
 *   { url: 'https://raw.githubusercontent.com/stripe/openapi/master/openapi/spec3.yaml' },
 * );
 * await writeFile('configs/openapi/stripe.json', serializeOpenApi(trimmed));
 */
export function trimOpenApi(spec: unknown, selection: OpenApiSelection, source: OpenApiSource): TrimmedOpenApi {
  const doc = checkDocument(spec);
  const specPaths = isObject(doc.paths) ? doc.paths : {};
  const specComponents = isObject(doc.components) ? doc.components : {};
  const specSchemas = isObject(specComponents.schemas) ? specComponents.schemas : {};

  // 1. Resolve the selection, collecting every problem before failing.
  const problems: string[] = [];
  const keptMethods = new Map<string, Set<string>>();
  for (const op of dedupeOperations(selection.operations)) {
    const method = op.method.toLowerCase();
    const label = `${op.method.toUpperCase()} ${op.path}`;
    if (!(HTTP_METHODS as readonly string[]).includes(method)) {
      problems.push(`${label}: ${op.method} is not an HTTP method`);
      continue;
    }
    const matches = Object.keys(specPaths)
      .filter((p) => pathsMatch(p, op.path))
      .sort(compareStrings);
    if (matches.length > 1) {
      problems.push(`${label}: ambiguous, matches ${matches.join(', ')}`);
      continue;
    }
    const template = matches[0];
    const item = template === undefined ? undefined : specPaths[template];
    if (template === undefined || !isObject(item)) {
      problems.push(`${label}: no such path in the description`);
      continue;
    }
    if (!isObject(item[method])) {
      const has = HTTP_METHODS.filter((m) => isObject(item[m])).map((m) => m.toUpperCase());
      problems.push(
        `${label}: ${template} has no ${method.toUpperCase()} operation (it has ${has.join(', ') || 'none'})`,
      );
      continue;
    }
    const methods = keptMethods.get(template) ?? new Set<string>();
    methods.add(method);
    keptMethods.set(template, methods);
  }
  for (const name of [...new Set(selection.schemas)].sort(compareStrings)) {
    if (!isObject(specSchemas[name])) problems.push(`schema "${name}": not in components.schemas`);
  }
  if (problems.length > 0) throw new OpenApiSelectionError(problems);

  // 2. The kept path items, stripped.
  const paths: JsonObject = {};
  for (const template of [...keptMethods.keys()].sort(compareStrings)) {
    const item = specPaths[template] as JsonObject;
    const methods = keptMethods.get(template) as Set<string>;
    const kept = Object.fromEntries(
      Object.entries(item).filter(([k]) => !(HTTP_METHODS as readonly string[]).includes(k) || methods.has(k)),
    );
    paths[template] = strip(kept, 'fixed');
  }

  // 3. The transitive closure of component references, from the paths, the record schemas and the security needs.
  const components = new Map<string, Map<string, unknown>>();
  const pending: string[] = [];
  const otherRefs = new Set<string>();
  const refProblems = new Set<string>();
  const enqueueFrom = (node: unknown, where: string): void => {
    for (const ref of collectRefs(node)) {
      if (!ref.startsWith('#')) {
        refProblems.add(`${where}: external $ref "${ref}" (bundle the description into one file first)`);
        continue;
      }
      const parts = parsePointer(ref);
      if (parts[0] === 'components' && parts.length >= 3) pending.push(`${parts[1]}\u0000${parts[2]}`);
      else otherRefs.add(ref);
    }
  };
  const topSecurity = Array.isArray(doc.security) ? (strip(doc.security, 'data') as unknown[]) : undefined;
  for (const requirement of [...(topSecurity ?? []), ...operationSecurity(paths)]) {
    if (isObject(requirement))
      for (const scheme of Object.keys(requirement)) pending.push(`securitySchemes\u0000${scheme}`);
  }
  enqueueFrom(paths, 'paths');
  for (const name of selection.schemas) pending.push(`schemas\u0000${name}`);
  for (let key = pending.pop(); key !== undefined; key = pending.pop()) {
    const [kind, name] = key.split('\u0000') as [string, string];
    const kept = components.get(kind) ?? new Map<string, unknown>();
    if (kept.has(name)) continue;
    const group = specComponents[kind];
    if (!isObject(group) || !Object.hasOwn(group, name)) {
      refProblems.add(`"#/components/${kind}/${name}" is referenced but not defined`);
      continue;
    }
    const stripped = strip(group[name], 'fixed');
    kept.set(name, stripped);
    components.set(kind, kept);
    enqueueFrom(stripped, `components/${kind}/${name}`);
  }

  // 4. Assemble.
  const info = isObject(doc.info) ? doc.info : {};
  const version = source.version ?? String(info.version ?? '');
  const out: JsonObject = {
    openapi: doc.openapi,
    info: {
      title: String(info.title ?? ''),
      version: String(info.version ?? ''),
      'x-engarde-source': { url: source.url, version, importedWith: 'engarde import-openapi' },
    },
    paths,
  };
  if (typeof doc.jsonSchemaDialect === 'string') out.jsonSchemaDialect = doc.jsonSchemaDialect;
  if (Array.isArray(doc.servers)) out.servers = strip(doc.servers, 'fixed');
  if (topSecurity) out.security = topSecurity;
  if (components.size > 0) {
    out.components = Object.fromEntries([...components].map(([kind, entries]) => [kind, Object.fromEntries(entries)]));
  }
  for (const ref of otherRefs) {
    if (resolvePointer(out, parsePointer(ref)) === undefined) {
      refProblems.add(`$ref "${ref}" points outside the kept paths and components`);
    }
  }
  if (refProblems.size > 0) {
    throw new OpenApiDocumentError(
      'the description has references engarde cannot keep',
      [...refProblems].sort(compareStrings),
    );
  }
  return sortKeysDeep(out) as TrimmedOpenApi;
}

function checkDocument(spec: unknown): JsonObject {
  if (!isObject(spec)) throw new OpenApiDocumentError('an OpenAPI description must be a JSON object');
  if (spec.swagger !== undefined) {
    throw new OpenApiDocumentError(`Swagger ${String(spec.swagger)} is not supported: convert it to OpenAPI 3.x first`);
  }
  if (typeof spec.openapi !== 'string' || !/^3\.\d+(\.\d+)?/.test(spec.openapi)) {
    throw new OpenApiDocumentError(`unsupported "openapi" version ${JSON.stringify(spec.openapi)}: expected 3.x`);
  }
  return spec;
}

function dedupeOperations(ops: readonly OpenApiOperationRef[]): OpenApiOperationRef[] {
  const seen = new Map<string, OpenApiOperationRef>();
  for (const op of ops) seen.set(`${op.path} ${op.method.toLowerCase()}`, op);
  return [...seen.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, op]) => op);
}

function operationSecurity(paths: JsonObject): unknown[] {
  const out: unknown[] = [];
  for (const item of Object.values(paths)) {
    if (!isObject(item)) continue;
    for (const m of HTTP_METHODS) {
      const op = item[m];
      if (isObject(op) && Array.isArray(op.security)) out.push(...op.security);
    }
  }
  return out;
}

type Mode = 'fixed' | 'map' | 'data';

/**
 * Copies a node without prose. `fixed`: an OpenAPI/JSON Schema object with fixed field names, where prose keys and
 * `x-` extensions go; `map`: names → fixed objects, all kept; `data`: copied verbatim.
 */
function strip(value: unknown, mode: Mode, ancestors: Set<object> = new Set()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) throw new OpenApiDocumentError('the description contains a circular object (not JSON)');
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => strip(v, mode === 'data' ? 'data' : 'fixed', ancestors));
    const entries: [string, unknown][] = [];
    for (const [k, v] of Object.entries(value)) {
      if (mode === 'data') entries.push([k, strip(v, 'data', ancestors)]);
      else if (mode === 'map') entries.push([k, strip(v, 'fixed', ancestors)]);
      else if (PROSE_KEYS.has(k) || k.startsWith('x-')) continue;
      else if (DATA_KEYS.has(k)) entries.push([k, strip(v, 'data', ancestors)]);
      else if (MAP_KEYS.has(k) && isObject(v)) entries.push([k, strip(v, 'map', ancestors)]);
      else entries.push([k, strip(v, 'fixed', ancestors)]);
    }
    return Object.fromEntries(entries);
  } finally {
    ancestors.delete(value);
  }
}

/** Every `$ref` string and discriminator mapping target under a stripped node. */
function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const v of node) collectRefs(v, out);
  } else if (isObject(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') {
        out.push(v);
        continue;
      }
      if (k === 'discriminator' && isObject(v) && isObject(v.mapping)) {
        for (const target of Object.values(v.mapping)) {
          if (typeof target !== 'string') continue;
          // A bare name means a schema of that name (OpenAPI 3.0 §4.7.24).
          out.push(target.includes('#') || target.includes('/') ? target : `#/components/schemas/${target}`);
        }
      }
      collectRefs(v, out);
    }
  }
  return out;
}

/** `#/components/schemas/a~1b` → `['components', 'schemas', 'a/b']` (URI-decoded, then JSON-Pointer-unescaped). */
function parsePointer(ref: string): string[] {
  const fragment = ref.slice(ref.indexOf('#') + 1);
  return fragment
    .split('/')
    .slice(1)
    .map((s) => {
      let decoded = s;
      try {
        decoded = decodeURIComponent(s);
      } catch {
        // not percent-encoded: keep as written
      }
      return decoded.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

function resolvePointer(root: unknown, parts: readonly string[]): unknown {
  let node: unknown = root;
  for (const p of parts) {
    if (Array.isArray(node)) node = node[Number(p)];
    else if (isObject(node) && Object.hasOwn(node, p)) node = node[p];
    else return undefined;
  }
  return node;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
