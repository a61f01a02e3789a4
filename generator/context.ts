import { resolve } from 'node:path';

/** Options of one generator run, as the CLI or a caller gives them. */
export interface GenerateOptions {
  /** Repository root (default: the current directory). */
  root?: string;
  /** Config file, relative to root. */
  configFile?: string;
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
  configFile: string;
  templatesDir: string;
  /** Output folder, relative to root. */
  outDir: string;
  schemaFile: string;
  only: ReadonlySet<string> | null;
  check: boolean;
  force: boolean;
  typeCheck: boolean;
  progress: (message: string) => void;
}

export const DEFAULT_CONFIG_FILE = 'configs/platform_configs_extended.json';
export const SCHEMA_FILE = 'configs/platform-config.schema.json';
export const OUT_DIR = 'generated/adapters';

export function createContext(options: GenerateOptions = {}): GeneratorContext {
  const root = resolve(options.root ?? process.cwd());
  return {
    root,
    configFile: options.configFile ?? DEFAULT_CONFIG_FILE,
    templatesDir: resolve(root, 'templates'),
    outDir: OUT_DIR,
    schemaFile: SCHEMA_FILE,
    only: options.only && options.only.length > 0 ? new Set(options.only) : null,
    check: options.check ?? false,
    force: options.force ?? false,
    typeCheck: options.typeCheck ?? !options.check,
    progress: options.onProgress ?? (() => {}),
  };
}
