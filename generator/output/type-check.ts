import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as TypeScript from 'typescript';
import { compareStrings } from '../compare.js';
import { GeneratedTypeError, InputError } from '../errors.js';

export interface SourceToCheck {
  /** Repository-relative path. */
  path: string;
  content: string;
  platformId: string | null;
}

export interface TypeCheckOptions {
  /**
   * TypeScript's incremental state (`.tsbuildinfo`) from earlier runs: files whose text, and whose dependencies'
   * text, are what an earlier run checked keep that run's diagnostics instead of being checked again. Default:
   * `node_modules/.cache/engarde/type-check/` under root; `false` checks everything. A cache that cannot be read
   * or written is skipped.
   */
  cacheDir?: string | false;
}

function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) out.push(dir);
  return out;
}

/**
 * Type-checks generated sources as they will be on disk, without writing them: they are laid over the real tree in
 * a program that reads everything else (the runtime, node's types) from disk with the repository's tsconfig. Any
 * diagnostic in a generated file fails the run and names its platform.
 *
 * It is TypeScript's own incremental check (what `tsc --incremental` does): every file's version is a hash of its
 * text, and a file is checked again unless it and everything it depends on are unchanged since a run recorded in the
 * cache. Generating into an empty output folder what an earlier run checked therefore parses, but does not check.
 *
 * @example
 * await typeCheckGenerated(root, [{ path: 'generated/adapters/stripe/index.ts', content, platformId: 'stripe' }]);
 */
export async function typeCheckGenerated(
  root: string,
  files: readonly SourceToCheck[],
  { cacheDir = join(root, 'node_modules', '.cache', 'engarde', 'type-check') }: TypeCheckOptions = {},
): Promise<void> {
  if (files.length === 0) return;
  // The TypeScript compiler API directly (the same pinned version ts-morph and openapi-typescript use), through
  // require: it is CommonJS, and an ESM import of it first lexes all 9 MB of it for named exports.
  const ts = createRequire(import.meta.url)('typescript') as typeof TypeScript;
  const configPath = join(root, 'tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    { noEmit: true },
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new InputError(`${configPath}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      },
    },
  );
  if (!parsed) throw new InputError(`${configPath}: cannot be read`);
  const buildInfo = cacheDir === false ? undefined : join(cacheDir, 'generated.tsbuildinfo');
  const options: TypeScript.CompilerOptions = {
    ...parsed.options,
    noEmit: true,
    ...(buildInfo ? { incremental: true, tsBuildInfoFile: buildInfo } : { incremental: false, composite: false }),
  };
  const byPath = new Map<string, SourceToCheck>();
  for (const file of files) byPath.set(join(root, file.path), file);
  // Parent pointers are set by the binder anyway: asking the parser for them too walks every tree twice.
  const host = ts.createIncrementalCompilerHost(options, { ...ts.sys });
  // JSDoc in TypeScript files cannot cause a type error: no trees for it (the mode tsc uses when it only checks).
  // Every member of a generated adapter has a doc comment.
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeErrors;
  const hash = host.createHash?.bind(host) ?? ((text: string) => text);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) => {
    const overlay = byPath.get(name);
    if (!overlay) return getSourceFile(name, languageVersion, onError, shouldCreate);
    const sourceFile = ts.createSourceFile(name, overlay.content, languageVersion, false);
    // What the incremental host records for files it reads itself.
    (sourceFile as { version?: string }).version = hash(overlay.content);
    return sourceFile;
  };
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (name) => byPath.get(name)?.content ?? readFile(name);
  host.fileExists = (name) => byPath.has(name) || fileExists(name);
  // Folders the run is about to create exist for module resolution too.
  const overlayDirs = new Set([...byPath.keys()].flatMap((path) => ancestors(path)));
  const directoryExists = host.directoryExists?.bind(host);
  host.directoryExists = (name) => overlayDirs.has(name.replace(/\/$/, '')) || (directoryExists?.(name) ?? true);
  const program = ts.createIncrementalProgram({ rootNames: [...byPath.keys()], options, host });
  // TypeScript's own walk over what changed since the recorded run and what depends on it, which also records the
  // results; everything else in the program (the runtime, libraries) is not this check's business.
  const generated = new Set([...byPath.keys()].map((absolute) => program.getSourceFile(absolute)));
  while (program.getSemanticDiagnosticsOfNextAffectedFile(undefined, (sourceFile) => !generated.has(sourceFile))) {
    // Each call checks one affected file.
  }
  const failing = new Set<string>();
  const messages: string[] = [];
  for (const [absolute, file] of [...byPath].sort(([a], [b]) => compareStrings(a, b))) {
    const sourceFile = program.getSourceFile(absolute);
    if (!sourceFile) continue;
    const diagnostics = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
    for (const d of diagnostics) {
      const { line, character } =
        d.start === undefined ? { line: 0, character: 0 } : sourceFile.getLineAndCharacterOfPosition(d.start);
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      messages.push(`${file.path}:${line + 1}:${character + 1}: TS${d.code}: ${text}`);
      failing.add(file.platformId ?? '(registry)');
    }
  }
  if (buildInfo) {
    let text: string | undefined;
    // With noEmit, emitting writes the incremental state and nothing else.
    program.emit(undefined, (name, data) => {
      if (name === buildInfo) text = data;
    });
    if (text !== undefined) await writeCache(buildInfo, text);
  }
  if (messages.length > 0) throw new GeneratedTypeError([...failing].sort(compareStrings), messages.join('\n'));
}

/** Atomic (a concurrent run reads the old state or the new one); a read-only or full disk only loses the cache. */
async function writeCache(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}
