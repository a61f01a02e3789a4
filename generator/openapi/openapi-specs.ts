import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load-config.js';
import { type ConfigIssue, ConfigValidationError } from '../errors.js';
import { sha256 } from '../output/fingerprint.js';
import { packageRoot } from '../package-root.js';

/** The parts of an OpenAPI 3 description the generator reads. */
export interface OpenApiDocument {
  openapi?: string;
  info?: { version?: string };
  paths?: Record<string, Record<string, { requestBody?: { content?: Record<string, unknown> } } | undefined>>;
  components?: { schemas?: Record<string, unknown> };
}

export interface LoadedSpec {
  /** Repository-relative file. */
  file: string;
  text: string;
  hash: string;
  document: OpenApiDocument;
}

/**
 * Where a platform's description is read from: the project, or, for an entry that extends a catalogue platform and
 * keeps its description, the installed package (the team does not copy the catalogue's files).
 */
function specPath(root: string, config: LoadedConfig, platformId: string, file: string): string {
  const own = join(root, file);
  const base = config.extendedFrom?.get(platformId);
  if (base?.openapiFile === file && !existsSync(own)) return join(packageRoot(), file);
  return own;
}

/**
 * Reads each platform's trimmed OpenAPI description and checks that every schema its entities name exists.
 * Problems are config problems: they name the platform and the JSON pointer of the field that refers to it.
 */
export async function loadOpenApiSpecs(root: string, config: LoadedConfig): Promise<Map<string, LoadedSpec>> {
  const specs = new Map<string, LoadedSpec>();
  const issues: ConfigIssue[] = [];
  for (const p of config.platforms) {
    if (!p.openapi) continue;
    const { file } = p.openapi;
    let text: string;
    try {
      text = await readFile(specPath(root, config, p.id, file), 'utf8');
    } catch {
      issues.push({
        file: config.file,
        platformId: p.id,
        pointer: '/openapi/file',
        message: `${file} does not exist (import it with \`engarde import-openapi ${p.id} <spec>\`)`,
      });
      continue;
    }
    let document: OpenApiDocument;
    try {
      document = JSON.parse(text) as OpenApiDocument;
    } catch (error) {
      issues.push({
        file: config.file,
        platformId: p.id,
        pointer: '/openapi/file',
        message: `${file} is not valid JSON (${(error as Error).message})`,
      });
      continue;
    }
    const schemas = document.components?.schemas ?? {};
    for (const [entity, e] of Object.entries(p.entities)) {
      if (e.openapiSchema && !(e.openapiSchema in schemas)) {
        issues.push({
          file: config.file,
          platformId: p.id,
          pointer: `/entities/${entity}/openapiSchema`,
          message: `"${e.openapiSchema}" is not a schema in ${file}`,
        });
      }
    }
    specs.set(p.id, { file, text, hash: sha256(text), document });
  }
  if (issues.length > 0) throw new ConfigValidationError(issues);
  return specs;
}
