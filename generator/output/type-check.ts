import { join } from 'node:path';
import { compareStrings } from '../compare.js';
import { GeneratedTypeError } from '../errors.js';

export interface SourceToCheck {
  /** Repository-relative path. */
  path: string;
  content: string;
  platformId: string | null;
}

/**
 * Type-checks generated sources as they will be on disk, without writing them: they are laid over the real tree in
 * a ts-morph project that reads everything else (the runtime, node's types) from disk with the repository's
 * tsconfig. Any diagnostic in a generated file fails the run and names its platform.
 *
 * @example
 * await typeCheckGenerated(root, [{ path: 'generated/adapters/stripe/index.ts', content, platformId: 'stripe' }]);
 */
export async function typeCheckGenerated(root: string, files: readonly SourceToCheck[]): Promise<void> {
  if (files.length === 0) return;
  const { Project, ts } = await import('ts-morph');
  const project = new Project({
    tsConfigFilePath: join(root, 'tsconfig.json'),
    skipAddingFilesFromTsConfig: true,
    skipFileDependencyResolution: true,
  });
  const byPath = new Map<string, SourceToCheck>();
  for (const file of files) {
    const absolute = join(root, file.path);
    byPath.set(absolute, file);
    project.createSourceFile(absolute, file.content, { overwrite: true });
  }
  project.resolveSourceFileDependencies();
  const program = project.getProgram().compilerObject;
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
