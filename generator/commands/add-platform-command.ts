import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { platformSchema } from '../../src/runtime/platform-schema.js';
import { compareStrings } from '../compare.js';
import { describeIssue, jsonPointer } from '../config/load-config.js';
import { ConfigError, formatConfigIssue } from '../errors.js';
import { packageRoot } from '../package-root.js';

export interface AddPlatformInput {
  root: string;
  configFile: string;
  id: string;
  /** Parsed CLI flags. */
  values: Record<string, unknown>;
  /** The command that regenerates the config's adapters (the hint ends with it, plus `--only <id>`). */
  generateCommand?: string;
}

export interface AddPlatformOutcome {
  /** Whether the new entry validates, so it can be generated at once. */
  complete: boolean;
  message: string;
}

function entityFromFlag(flag: string, recordsPath: string, idField: string): [string, Record<string, unknown>] {
  const eq = flag.indexOf('=');
  if (eq < 1)
    throw new ConfigError(`add-platform: --entity "${flag}" must look like <name>=<path>, e.g. customers=/customers`);
  return [flag.slice(0, eq), { path: flag.slice(eq + 1), recordsPath, idField }];
}

/**
 * Adds a platform entry built from flags to the config file (kept sorted by id, written atomically). Facts the
 * flags do not give are left out rather than guessed; the outcome lists each one by JSON pointer.
 *
 * @example
 * await addPlatform({ root, configFile, id: 'acme', values: { name: 'Acme', category: 'crm', auth: 'bearer' } });
 */
export async function addPlatform({
  root,
  configFile,
  id,
  values,
  generateCommand = 'npx engarde generate',
}: AddPlatformInput): Promise<AddPlatformOutcome> {
  const path = join(root, configFile);
  const file = await readConfigOrStart(path);
  if (file.platforms.some((p) => p.id === id)) {
    throw new ConfigError(`${configFile}: ${id} /id: already exists; edit its entry instead`);
  }
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const recordsPath = str('records-path') ?? '';
  const idField = str('id-field') ?? 'id';
  const entry: Record<string, unknown> = {
    id,
    name: str('name'),
    category: str('category'),
    description: str('description'),
    docsUrl: str('docs-url'),
    apiVersion: str('api-version'),
    baseUrl: str('base-url'),
    auth: str('auth') ? { kind: str('auth') } : undefined,
    entities: Object.fromEntries(
      ((values.entity as string[] | undefined) ?? []).map((e) => entityFromFlag(e, recordsPath, idField)),
    ),
  };
  for (const key of Object.keys(entry)) if (entry[key] === undefined) delete entry[key];
  file.platforms.push(entry);
  file.platforms.sort((a, b) => compareStrings(a.id ?? '', b.id ?? ''));
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(file, null, 2)}\n`);
  await rename(tmp, path);

  const result = platformSchema.safeParse(entry);
  if (result.success) return { complete: true, message: `engarde add-platform: added ${id} to ${configFile}` };
  const issues = result.error.issues.flatMap((issue) =>
    describeIssue(issue, entry).map((d) =>
      formatConfigIssue({ file: configFile, platformId: id, pointer: jsonPointer(d.path), message: d.message }),
    ),
  );
  return {
    complete: false,
    message: [
      `engarde add-platform: added ${id} to ${configFile}. Fill in what the flags did not say, from the platform's documentation:`,
      ...issues,
      `then run \`${generateCommand} --only ${id}\`.`,
    ].join('\n'),
  };
}

type ConfigFile = { $schema?: string; platforms: Array<{ id?: string }> };

/**
 * The config file, or, in a project that has none yet, a new one whose `$schema` points at the installed package's
 * JSON Schema (editors then validate and complete entries).
 */
async function readConfigOrStart(path: string): Promise<ConfigFile> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ConfigFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dirname(path), { recursive: true });
    const schema = relative(dirname(path), join(packageRoot(), 'configs', 'platform-config.schema.json'));
    return { $schema: schema.split('\\').join('/'), platforms: [] };
  }
}
