import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { configFileSchema, type PlatformConfig, platformSchema } from '../../src/runtime/platform-schema.js';
import { compareStrings } from '../compare.js';
import { ConfigError, type ConfigIssue, ConfigValidationError } from '../errors.js';
import { type ExtendedFrom, resolveExtends } from './extend-catalogue.js';

/** Platform id used in messages about the file as a whole rather than one entry. */
export const FILE_LEVEL = '(file)';

export interface LoadedConfig {
  /** Repository-relative path, as messages print it. */
  file: string;
  /** Validated platforms, sorted by id. */
  platforms: PlatformConfig[];
  /** sha256 of the file's bytes. */
  hash: string;
  /** Entries built on a catalogue platform with `"extends"` (a team's own config only). */
  extendedFrom?: ExtendedFrom;
}

/** RFC 6901 JSON pointer for a path of keys and indexes. */
export function jsonPointer(path: readonly PropertyKey[]): string {
  return path.map((k) => `/${String(k).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** Turns one zod issue into messages a person can act on, one per offending field. */
export function describeIssue(
  issue: z.core.$ZodIssue,
  entry: unknown,
): Array<{ path: PropertyKey[]; message: string }> {
  const path = [...issue.path];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...path, key], message: 'is not a known field' }));
  }
  if (issue.code === 'invalid_type' && valueAt(entry, path) === undefined) {
    return [{ path, message: `is required (${issue.expected})` }];
  }
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator) {
    const at = path.at(-1) === issue.discriminator ? path : [...path, issue.discriminator];
    const given = valueAt(entry, at);
    return [
      {
        path: at,
        message: given === undefined ? 'is required' : `${JSON.stringify(given)} is not one of the allowed values`,
      },
    ];
  }
  if (issue.code === 'invalid_value') {
    const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ');
    return [{ path, message: `${JSON.stringify(valueAt(entry, path))} is not one of ${allowed}` }];
  }
  if (issue.code === 'invalid_format' && issue.format === 'regex') {
    return [{ path, message: issue.message }];
  }
  return [{ path, message: issue.message }];
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: ${FILE_LEVEL} /: is not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/**
 * Validates every entry of a parsed config file and reports all problems at once.
 *
 * @example
 * const { platforms } = validateConfig(JSON.parse(text), 'configs/platform_configs_extended.json');
 */
export function validateConfig(
  raw: unknown,
  file: string,
  earlierIssues: readonly ConfigIssue[] = [],
): Omit<LoadedConfig, 'hash'> {
  const top = configFileSchema.safeParse(raw);
  if (!top.success) {
    throw new ConfigValidationError(
      top.error.issues.flatMap((i) =>
        describeIssue(i, raw).map((d) => ({
          file,
          platformId: FILE_LEVEL,
          pointer: jsonPointer(d.path),
          message: d.message,
        })),
      ),
    );
  }
  const issues: ConfigIssue[] = [...earlierIssues];
  const platforms: PlatformConfig[] = [];
  const seenIds = new Map<string, number>();
  const seenNames = new Map<string, string>();
  top.data.platforms.forEach((entry, index) => {
    const declaredId = (entry as { id?: unknown } | null)?.id;
    const platformId = typeof declaredId === 'string' && declaredId ? declaredId : `#${index}`;
    const result = platformSchema.safeParse(entry);
    if (!result.success) {
      for (const issue of result.error.issues) {
        for (const d of describeIssue(issue, entry)) {
          issues.push({ file, platformId, pointer: jsonPointer(d.path), message: d.message });
        }
      }
      return;
    }
    const p = result.data;
    if (seenIds.has(p.id)) {
      issues.push({ file, platformId, pointer: '/id', message: `duplicates the id of platform #${seenIds.get(p.id)}` });
    } else {
      seenIds.set(p.id, index);
    }
    const nameKey = p.name.toLowerCase();
    if (seenNames.has(nameKey)) {
      issues.push({
        file,
        platformId,
        pointer: '/name',
        message: `duplicates the name of platform "${seenNames.get(nameKey)}"`,
      });
    } else {
      seenNames.set(nameKey, p.id);
    }
    platforms.push(p);
  });
  if (issues.length > 0) throw new ConfigValidationError(sortIssues(issues));
  platforms.sort((a, b) => compareStrings(a.id, b.id));
  return { file, platforms };
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  // Stable: entries stay in file order; within an entry, by pointer.
  const order = new Map<string, number>();
  for (const i of issues) if (!order.has(i.platformId)) order.set(i.platformId, order.size);
  return issues
    .map((issue, n) => ({ issue, n }))
    .sort(
      (a, b) =>
        (order.get(a.issue.platformId) ?? 0) - (order.get(b.issue.platformId) ?? 0) ||
        compareStrings(a.issue.pointer, b.issue.pointer) ||
        a.n - b.n,
    )
    .map((x) => x.issue);
}

/**
 * Reads and validates a config file (path relative to `root`). With `allowExtends` (a team's own config), entries
 * may build on catalogue platforms with `"extends"` (see `extend-catalogue.ts`).
 */
export async function loadConfig(
  root: string,
  file: string,
  { allowExtends = false }: { allowExtends?: boolean } = {},
): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(new URL(file, `file://${root.endsWith('/') ? root : `${root}/`}`), 'utf8');
  } catch (error) {
    throw new ConfigError(
      `${file}: ${FILE_LEVEL} /: cannot be read (${(error as NodeJS.ErrnoException).code ?? error})`,
      {
        cause: error,
      },
    );
  }
  const hash = createHash('sha256').update(text).digest('hex');
  const parsed = parseJson(text, file);
  if (!allowExtends) return { ...validateConfig(parsed, file), hash };
  const { raw, extendedFrom, issues } = await resolveExtends(parsed, file);
  return { ...validateConfig(raw, file, issues), hash, extendedFrom };
}
