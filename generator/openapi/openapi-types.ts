/**
 * OpenAPI → TypeScript types through openapi-typescript's programmatic API, with one fixed set of strict options and
 * an optional on-disk cache (the generator runs this on every run; see `openApiToTypeScript`).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { OpenAPI3, OpenAPITSOptions } from 'openapi-typescript';
import { sortKeysDeep } from './trim-openapi.js';

/**
 * The options every description is converted with. Strict: objects are closed (`additionalProperties: false`),
 * `{}` schemas are `unknown` rather than `Record<string, never>`, properties with a default stay optional in
 * requests but are required in responses (`defaultNonNullable`), members are alphabetized so output does not depend
 * on key order. No enums or runtime values: types only.
 */
export const OPENAPI_TYPES_OPTIONS = Object.freeze({
  additionalProperties: false,
  alphabetize: true,
  arrayLength: false,
  defaultNonNullable: true,
  emptyObjectsUnknown: true,
  excludeDeprecated: false,
  exportType: false,
  immutable: false,
  propertiesRequiredByDefault: false,
  rootTypes: false,
  silent: true,
} satisfies OpenAPITSOptions);

export interface OpenApiTypesOptions {
  /**
   * Directory of cached results (see `defaultOpenApiTypesCacheDir`); no cache when omitted. Entries are keyed by a
   * sha256 of the description, the openapi-typescript and typescript versions and the options; an unreadable or
   * corrupt entry is ignored and rewritten, and a cache that cannot be written is skipped.
   */
  cacheDir?: string;
}

/** `node_modules/.cache/engarde/openapi-types` under `cwd`. */
export function defaultOpenApiTypesCacheDir(cwd: string = process.cwd()): string {
  return join(cwd, 'node_modules', '.cache', 'engarde', 'openapi-types');
}

const require = createRequire(import.meta.url);
const TOOL_VERSIONS = `openapi-typescript@${packageVersion('openapi-typescript')} typescript@${packageVersion('typescript')}`;

function packageVersion(name: string): string {
  return String((require(`${name}/package.json`) as { version?: unknown }).version);
}

/**
 * TypeScript declarations (`paths`, `webhooks`, `components`, `$defs`, `operations`) for an OpenAPI 3.x
 * description, as openapi-typescript prints them with `OPENAPI_TYPES_OPTIONS`. Deterministic; ends with a newline.
 *
 * @example
 * const source = await openApiToTypeScript(JSON.parse(await readFile('configs/openapi/stripe.json', 'utf8')),
 *   { cacheDir: defaultOpenApiTypesCacheDir() });
 * // source contains `export interface components { schemas: { customer: { … } } }`
 */
export async function openApiToTypeScript(spec: object, options: OpenApiTypesOptions = {}): Promise<string> {
  // A sorted deep copy: openapi-typescript's bundler may annotate the object it is given, and key order must not
  // change the cache key.
  const input = sortKeysDeep(spec) as OpenAPI3;
  const cacheFile = options.cacheDir === undefined ? undefined : join(options.cacheDir, `${cacheKey(input)}.ts`);
  if (cacheFile !== undefined) {
    const cached = await readCacheEntry(cacheFile);
    if (cached !== undefined) return cached;
  }
  // Loaded on a cache miss only: openapi-typescript, redocly and typescript take ~0.8 s to import.
  const { default: openapiTS, astToString } = await import('openapi-typescript');
  const ast = await openapiTS(input, { ...OPENAPI_TYPES_OPTIONS });
  const text = `${astToString(ast).replace(/\r\n/g, '\n').trimEnd()}\n`;
  if (cacheFile !== undefined) await writeCacheEntry(cacheFile, text);
  return text;
}

function cacheKey(spec: unknown): string {
  return sha256(JSON.stringify({ spec, tools: TOOL_VERSIONS, options: OPENAPI_TYPES_OPTIONS }));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** An entry is `// sha256:<hash of the rest>\n<text>`; anything else is treated as absent. */
async function readCacheEntry(file: string): Promise<string | undefined> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const match = /^\/\/ sha256:([0-9a-f]{64})\n/.exec(raw);
  if (!match) return undefined;
  const text = raw.slice(match[0].length);
  return sha256(text) === match[1] ? text : undefined;
}

async function writeCacheEntry(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(tmp, `// sha256:${sha256(text)}\n${text}`, 'utf8');
    await rename(tmp, file);
  } catch {
    // The cache is an optimisation: a read-only or full disk must not fail generation.
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}
