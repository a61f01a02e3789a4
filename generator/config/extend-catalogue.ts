/**
 * A team's own config may build on the catalogue: an entry with `"extends": "<built-in id>"` is the built-in entry
 * with the team's entry laid over it as a JSON Merge Patch (RFC 7386: objects merge key by key, `null` removes a key,
 * anything else replaces), and takes the built-in's id unless it names its own. Entries without `extends` stand alone
 * (one with a built-in's id replaces that platform).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../context.js';
import type { ConfigIssue } from '../errors.js';
import { packageRoot } from '../package-root.js';

/** The catalogue entry a team's entry extended, by the resulting platform id. */
export type ExtendedFrom = ReadonlyMap<string, { id: string; openapiFile: string | undefined }>;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, Json> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * RFC 7386 JSON Merge Patch.
 *
 * @example
 * mergePatch({ a: 1, b: { c: 2 } }, { b: { c: null, d: 3 } }); // { a: 1, b: { d: 3 } }
 */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const result: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key] ?? null, value);
  }
  return result;
}

let catalogue: Promise<Map<string, Json>> | undefined;

/** The built-in catalogue's raw entries by id, read once from the installed package. */
function catalogueEntries(): Promise<Map<string, Json>> {
  catalogue ??= readFile(join(packageRoot(), DEFAULT_CONFIG_FILE), 'utf8').then((text) => {
    const parsed = JSON.parse(text) as { platforms: Array<{ id: string } & Record<string, Json>> };
    return new Map(parsed.platforms.map((p) => [p.id, p as Json]));
  });
  return catalogue;
}

/**
 * Replaces each `extends` entry of a parsed config file by the merged entry. Problems (an unknown id, an `extends`
 * that is not a string) come back as issues located by entry and pointer; the entry is then left out.
 */
export async function resolveExtends(
  raw: unknown,
  file: string,
): Promise<{ raw: unknown; extendedFrom: ExtendedFrom; issues: ConfigIssue[] }> {
  const extendedFrom = new Map<string, { id: string; openapiFile: string | undefined }>();
  const issues: ConfigIssue[] = [];
  if (!isObject(raw) || !Array.isArray(raw.platforms)) return { raw, extendedFrom, issues };
  if (!raw.platforms.some((entry) => isObject(entry) && 'extends' in entry)) return { raw, extendedFrom, issues };
  const builtIn = await catalogueEntries();
  const platforms: Json[] = [];
  for (const [index, entry] of raw.platforms.entries()) {
    if (!isObject(entry) || !('extends' in entry)) {
      platforms.push(entry);
      continue;
    }
    const { extends: base, ...patch } = entry;
    const platformId =
      typeof patch.id === 'string' && patch.id ? patch.id : typeof base === 'string' ? base : `#${index}`;
    if (typeof base !== 'string' || !builtIn.has(base)) {
      issues.push({
        file,
        platformId,
        pointer: '/extends',
        message:
          typeof base === 'string'
            ? `"${base}" is not a platform of the engarde catalogue (\`npx engarde list\` shows them)`
            : 'must be the id of a catalogue platform',
      });
      continue;
    }
    const merged = mergePatch(builtIn.get(base) as Json, { id: base, ...patch }) as Record<string, Json>;
    const openapi = builtIn.get(base) as { openapi?: { file?: string } };
    extendedFrom.set(String(merged.id), { id: base, openapiFile: openapi.openapi?.file });
    platforms.push(merged);
  }
  return { raw: { ...raw, platforms }, extendedFrom, issues };
}
