/**
 * `engarde import-openapi <id> <spec file>`: reads a platform's official OpenAPI description, trims it to what the
 * platform's config uses, and writes `configs/openapi/<id>.json`.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { compareStrings } from '../compare.js';
import {
  OpenApiDocumentError,
  type OpenApiOperationRef,
  type OpenApiSelection,
  type OpenApiSource,
  pathShape,
  serializeOpenApi,
  type TrimmedOpenApi,
  trimOpenApi,
} from './trim-openapi.js';

/** The parts of a config entity that name endpoints (see `entitySchema` in the platform schema). */
export interface EntityEndpointsLike {
  path: string;
  /** List method; default GET. */
  method?: string;
  /** Path of one record with `{id}`; default `<path>/{id}`. */
  itemPath?: string;
  /** Whether one record is read by GET itemPath; default true. */
  getById?: boolean;
  /** Path that creates a record; default the list path. */
  createPath?: string;
  write?: readonly ('create' | 'update' | 'delete')[];
  /** Default PATCH. */
  updateMethod?: string;
  openapiSchema?: string;
}

/** The parts of a platform config entry `selectionFromPlatform` reads. */
export interface PlatformEndpointsLike {
  entities: Readonly<Record<string, EntityEndpointsLike>>;
}

export interface SelectionOptions {
  /**
   * Prefix of the description's paths that the platform's base URL already contains, e.g. `/v1` for Stripe
   * (base URL `https://api.stripe.com/v1`, description paths `/v1/customers`). Default: none.
   */
  basePath?: string;
}

/**
 * The operations and record schemas a platform's config uses: per entity, list (method, path), get (GET, itemPath),
 * and create (POST, path) / update (updateMethod, itemPath) / delete (DELETE, itemPath) when it writes.
 * Sorted and without duplicates.
 *
 * @example
 * selectionFromPlatform({ entities: { customers: { path: '/customers', write: ['delete'], openapiSchema: 'customer' } } },
 *   { basePath: '/v1' });
 * // { operations: [{ method: 'GET', path: '/v1/customers' }, { method: 'DELETE', path: '/v1/customers/{id}' },
 * //                { method: 'GET', path: '/v1/customers/{id}' }], schemas: ['customer'] }
 */
export function selectionFromPlatform(
  platform: PlatformEndpointsLike,
  options: SelectionOptions = {},
): OpenApiSelection {
  const prefix = normalizeBasePath(options.basePath ?? '');
  const ops = new Map<string, OpenApiOperationRef>();
  const add = (method: string, path: string): void => {
    const op = { method: method.toUpperCase(), path: prefix + path };
    ops.set(`${op.path} ${op.method}`, op);
  };
  const schemas = new Set<string>();
  for (const name of Object.keys(platform.entities).sort(compareStrings)) {
    const e = platform.entities[name] as EntityEndpointsLike;
    const listPath = withoutQuery(e.path);
    const itemPath = withoutQuery(e.itemPath ?? `${listPath.replace(/\/+$/, '')}/{id}`);
    add(e.method ?? 'GET', listPath);
    if (e.getById !== false) add('GET', itemPath);
    const write = new Set(e.write ?? []);
    if (write.has('create')) add('POST', withoutQuery(e.createPath ?? listPath));
    if (write.has('update')) add(e.updateMethod ?? 'PATCH', itemPath);
    if (write.has('delete')) add('DELETE', itemPath);
    if (e.openapiSchema) schemas.add(e.openapiSchema);
  }
  return {
    operations: [...ops.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, op]) => op),
    schemas: [...schemas].sort(compareStrings),
  };
}

/**
 * The `basePath` for `selectionFromPlatform`: what the platform's base URL path adds to the description's first
 * server path. Both may hold `{variables}`; a server variable segment matches any segment. `undefined` when the
 * server path is not a prefix of the base URL path (then pass it explicitly).
 *
 * @example
 * deriveBasePath('https://api.stripe.com/v1', { servers: [{ url: 'https://api.stripe.com/' }] }); // '/v1'
 */
export function deriveBasePath(baseUrl: string, spec: unknown): string | undefined {
  const servers = (spec as { servers?: unknown } | null)?.servers;
  const first = Array.isArray(servers) ? (servers[0] as { url?: unknown } | undefined) : undefined;
  const serverUrl = typeof first?.url === 'string' ? first.url : '/';
  const base = urlPathSegments(baseUrl);
  const server = urlPathSegments(serverUrl);
  if (server.length > base.length) return undefined;
  for (const [i, s] of server.entries()) {
    // A server variable (`{version}`) stands for whatever the base URL has there.
    if (!/^\{[^}]*\}$/.test(s) && pathShape(s) !== pathShape(base[i] as string)) return undefined;
  }
  return normalizeBasePath(base.slice(server.length).join('/'));
}

/** A configured path without its query string (`/b?project={p}` is the operation `/b`). */
export function withoutQuery(path: string): string {
  const at = path.indexOf('?');
  return at < 0 ? path : path.slice(0, at);
}

/** The parts of a platform config entry that locate its paths within its OpenAPI description. */
export interface PlatformBaseLike {
  baseUrl: string;
  apiVersion?: string;
  openapi?: { basePath?: string | undefined } | undefined;
}

/**
 * The prefix the platform's base URL adds to the description's paths: `openapi.basePath` when the config gives it,
 * else derived from the base URL (with `{apiVersion}` filled in) and the description's first server; `undefined`
 * when it cannot be derived.
 *
 * @example
 * platformBasePath({ baseUrl: 'https://api.x.com/{apiVersion}', apiVersion: '2' }, { servers: [{ url: 'https://api.x.com' }] }); // '/2'
 */
export function platformBasePath(platform: PlatformBaseLike, spec: unknown): string | undefined {
  if (platform.openapi?.basePath !== undefined) return platform.openapi.basePath;
  const baseUrl = platform.apiVersion
    ? platform.baseUrl.replaceAll('{apiVersion}', platform.apiVersion)
    : platform.baseUrl;
  return deriveBasePath(baseUrl, spec);
}

/** `https://{shop}.example.com/admin/api/` → `['admin', 'api']`; relative server URLs are paths already. */
function urlPathSegments(url: string): string[] {
  const path = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').replace(/[?#].*$/, '');
  return path.split('/').filter((s) => s !== '');
}

/** `v1/` → `/v1`; `/` and `` → ``. */
function normalizeBasePath(basePath: string): string {
  const trimmed = basePath.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `/${trimmed}`;
}

export interface ImportOpenApiOptions {
  /** Platform id; names the default output file and prefixes errors. */
  id: string;
  /** The official description, JSON (`.json`). */
  specFile: string;
  /** What to keep; a function receives the parsed description (e.g. to derive the base path from its servers). */
  selection: OpenApiSelection | ((spec: unknown) => OpenApiSelection);
  source: OpenApiSource;
  /** Default `configs/openapi/<id>.json` under the current directory. */
  outFile?: string;
}

export interface ImportOpenApiResult {
  outFile: string;
  /** Size of the written file in bytes. */
  bytes: number;
  document: TrimmedOpenApi;
}

/**
 * Reads an official description, trims it with `trimOpenApi`, and writes it atomically (temp file + rename).
 *
 * @example
 * await importOpenApi({
 *   id: 'stripe',
 *   specFile: 'stripe.com.json',
 *   selection: selectionFromPlatform(config.platforms.stripe, { basePath: '/v1' }),
 *   source: { url: 'https://raw.githubusercontent.com/stripe/openapi/master/openapi/spec3.yaml' },
 * });
 */
export async function importOpenApi(options: ImportOpenApiOptions): Promise<ImportOpenApiResult> {
  const { id, specFile, selection, source } = options;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) {
    throw new OpenApiDocumentError(`platform id ${JSON.stringify(id)} must be lowercase kebab-case`);
  }
  const outFile = options.outFile ?? join('configs', 'openapi', `${id}.json`);
  const spec = parseDescription(await readFile(specFile, 'utf8'), specFile);
  let document: TrimmedOpenApi;
  try {
    document = trimOpenApi(spec, typeof selection === 'function' ? selection(spec) : selection, source);
  } catch (err) {
    if (err instanceof Error) err.message = `${id}: ${err.message}`;
    throw err;
  }
  const text = serializeOpenApi(document);
  await mkdir(dirname(outFile), { recursive: true });
  const tmp = `${outFile}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, outFile);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { outFile, bytes: Buffer.byteLength(text), document };
}

/** Parses a description file's text. JSON only: YAML needs a parser the project does not depend on yet. */
export function parseDescription(text: string, fileName: string): unknown {
  const ext = extname(fileName).toLowerCase();
  const body = text.replace(/^\uFEFF/, '');
  if (ext === '.yaml' || ext === '.yml' || (ext !== '.json' && !/^\s*[{[]/.test(body))) {
    throw new OpenApiDocumentError(
      `${fileName}: YAML descriptions are not supported yet; convert it to JSON first ` +
        '(e.g. `npx @redocly/cli bundle <file> --ext json`)',
    );
  }
  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    throw new OpenApiDocumentError(`${fileName}: not valid JSON (${(err as Error).message})`);
  }
}
