import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { ConfigError } from './errors.js';

/** Options of one generator run, as the CLI or a caller gives them. */
export interface GenerateOptions {
  /** Project root (default: the current directory). Config, output and OpenAPI files are relative to it. */
  root?: string;
  /** Config file, relative to root. */
  configFile?: string;
  /**
   * Output folder, relative to root. Given, the run writes a team's own adapters outside this repository: they
   * import `engarde/runtime`, and their registry adds them to the built-in ones from `engarde` (an entry may
   * `"extends"` a built-in platform). Omitted, the run writes this repository's `generated/adapters/`.
   */
  outDir?: string;
  /** Only (re)produce these platforms' files; shared files are always kept in step. */
  only?: readonly string[];
  /** Compare with disk instead of writing. */
  check?: boolean;
  /** Produce every file even when the manifest says it is up to date. */
  force?: boolean;
  /** Type-check generated code before writing (default true; `--check` never writes, so never needs it). */
  typeCheck?: boolean;
  /** Progress lines (the CLI passes one on a TTY). */
  onProgress?: (message: string) => void;
}

/** Options normalized once; every later stage reads this. */
export interface GeneratorContext {
  root: string;
  /** Config file, relative to root, `/`-separated (as messages and generated headers print it). */
  configFile: string;
  /** Output folder, relative to root, `/`-separated. */
  outDir: string;
  /** The manifest of what was generated, inside the output folder. */
  manifestFile: string;
  /**
   * `builtin`: this repository's catalogue into `generated/adapters/` (relative runtime imports, the JSON Schema and
   * docs/platforms.md beside it). `external`: a team's own entries into their folder, importing the published
   * package and registering beside its built-in adapters.
   */
  mode: 'builtin' | 'external';
  /** The JSON Schema file the generator writes (built-in mode only). */
  schemaFile: string | null;
  /** The catalogue overview it writes. */
  docsFile: string;
  /** How generated code imports the runtime, from an adapter's folder and from the output folder. */
  runtimeImport: { adapter: string; registry: string };
  /** The command a generated header tells readers to run (without `--only`). */
  command: string;
  only: ReadonlySet<string> | null;
  check: boolean;
  force: boolean;
  typeCheck: boolean;
  progress: (message: string) => void;
}

export const DEFAULT_CONFIG_FILE = 'configs/platform_configs_extended.json';
export const SCHEMA_FILE = 'configs/platform-config.schema.json';
export const OUT_DIR = 'generated/adapters';

/** A path relative to root, `/`-separated; refuses one that leaves the root (a generated tree must stay inside). */
function insideRoot(root: string, path: string, flag: string): string {
  const rel = relative(root, resolve(root, path)).split('\\').join('/');
  if (rel === '' || rel.startsWith('../') || rel === '..' || isAbsolute(rel)) {
    throw new ConfigError(`${flag} ${path}: must name a path inside the project folder (${root})`);
  }
  return rel;
}

export function createContext(options: GenerateOptions = {}): GeneratorContext {
  const root = resolve(options.root ?? process.cwd());
  const configFile = insideRoot(root, options.configFile ?? DEFAULT_CONFIG_FILE, '--config');
  const external = options.outDir !== undefined;
  const outDir = external ? insideRoot(root, options.outDir as string, '--out') : OUT_DIR;
  return {
    root,
    configFile,
    outDir,
    manifestFile: `${outDir}/manifest.json`,
    mode: external ? 'external' : 'builtin',
    schemaFile: external ? null : SCHEMA_FILE,
    docsFile: external ? `${outDir}/platforms.md` : 'docs/platforms.md',
    runtimeImport: external
      ? { adapter: 'engarde/runtime', registry: 'engarde/runtime' }
      : { adapter: '../../../src/runtime/index.js', registry: '../../src/runtime/index.js' },
    command: external ? `npx engarde generate --config ${configFile} --out ${outDir}` : 'npx engarde generate',
    only: options.only && options.only.length > 0 ? new Set(options.only) : null,
    check: options.check ?? false,
    force: options.force ?? false,
    // A team's project type-checks generated code with its own tsconfig.json; without one there is nothing to
    // check against (its CI's tsc does it).
    typeCheck: (options.typeCheck ?? !options.check) && (!external || existsSync(resolve(root, 'tsconfig.json'))),
    progress: options.onProgress ?? (() => {}),
  };
}
