import { dirname, join } from 'node:path';
import { compareStrings } from '../compare.js';
import { GeneratedTypeError, InputError } from '../errors.js';

export interface SourceToCheck {
  /** Repository-relative path. */
  path: string;
  content: string;
  platformId: string | null;
}

/**
 * Type-checks generated sources as they will be on disk, without writing them: they are laid over the real tree in
 * a program that reads everything else (the runtime, node's types) from disk with the repository's tsconfig. Any
 * diagnostic in a generated file fails the run and names its platform.
 *
 * @example
 * await typeCheckGenerated(root, [{ path: 'generated/adapters/stripe/index.ts', content, platformId: 'stripe' }]);
 */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) out.push(dir);
  return out;
}

export async function typeCheckGenerated(root: string, files: readonly SourceToCheck[]): Promise<void> {
  if (files.length === 0) return;
  // The TypeScript compiler API directly (the same pinned version ts-morph and openapi-typescript use): a plain
  // program over an in-memory overlay costs about half of a ts-morph Project, whose node wrappers a type-check
  // does not need.
  const { default: ts } = await import('typescript');
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
  const byPath = new Map<string, SourceToCheck>();
  for (const file of files) byPath.set(join(root, file.path), file);
  const host = ts.createCompilerHost(parsed.options, true);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (name) => byPath.get(name)?.content ?? readFile(name);
  host.fileExists = (name) => byPath.has(name) || fileExists(name);
  // Folders the run is about to create exist for module resolution too.
  const overlayDirs = new Set([...byPath.keys()].flatMap((path) => ancestors(path)));
  const directoryExists = host.directoryExists?.bind(host);
  host.directoryExists = (name) => overlayDirs.has(name.replace(/\/$/, '')) || (directoryExists?.(name) ?? true);
  const program = ts.createProgram({ rootNames: [...byPath.keys()], options: parsed.options, host });
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
  if (messages.length > 0) throw new GeneratedTypeError([...failing].sort(compareStrings), messages.join('\n'));
}
