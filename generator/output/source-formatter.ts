import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Configuration } from '@biomejs/js-api/nodejs';
import { InputError } from '../errors.js';

/** Formats generated TypeScript with the repository's own biome.json, in process, one file at a time. */
export interface SourceFormatter {
  format(path: string, source: string): string;
}

/**
 * Biome through its WebAssembly build: one instance for the whole run, so formatting costs a few milliseconds a
 * file rather than a process or a language service each. Loaded only when something needs formatting.
 *
 * @example
 * const formatter = await createSourceFormatter(repoRoot);
 * const pretty = formatter.format('generated/adapters/stripe/index.ts', source);
 */
export async function createSourceFormatter(root: string): Promise<SourceFormatter> {
  const config = JSON.parse(await readFile(join(root, 'biome.json'), 'utf8')) as Configuration & { $schema?: string };
  delete config.$schema;
  // The generator formats content it hands over itself: file discovery settings do not apply.
  delete config.vcs;
  delete config.files;
  const { Biome } = await import('@biomejs/js-api/nodejs');
  const biome = new Biome();
  const { projectKey } = biome.openProject(root);
  biome.applyConfiguration(projectKey, config);
  return {
    format(path, source) {
      const result = biome.formatContent(projectKey, source, { filePath: path });
      const errors = result.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'fatal');
      if (errors.length > 0) {
        const detail = errors.map((d) => JSON.stringify(d.description ?? d.message)).join('; ');
        throw new InputError(`${path}: generated source does not parse: ${detail}`);
      }
      return result.content;
    },
  };
}
