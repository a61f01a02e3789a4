/**
 * The generator's toolchain — the compiler that type-checks output, the formatter, the template engine, OpenAPI to
 * TypeScript and the differ — is a set of optional peer dependencies: a program that only imports adapters never
 * installs it. Commands that generate check for it first and say exactly what to install.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GeneratorError } from './errors.js';
import { packageRoot } from './package-root.js';

/** Each package of the toolchain, with a specifier that resolves when it is installed. */
const TOOLCHAIN: ReadonlyArray<{ name: string; probe: string }> = [
  { name: '@biomejs/biome', probe: '@biomejs/biome/bin/biome' },
  { name: 'diff', probe: 'diff' },
  { name: 'handlebars', probe: 'handlebars' },
  { name: 'openapi-typescript', probe: 'openapi-typescript' },
  { name: 'typescript', probe: 'typescript' },
];

/** A generating command run where the toolchain is not installed (exit 2: the user fixes it with one command). */
export class MissingToolchainError extends GeneratorError {
  override readonly exitCode = 2;
}

function resolves(specifier: string): boolean {
  try {
    import.meta.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

/**
 * @throws MissingToolchainError naming every missing package and the install command, with the versions this
 *   package's `peerDependencies` accept.
 * @example
 * requireGeneratorToolchain('engarde generate');
 */
export function requireGeneratorToolchain(command: string): void {
  const missing = TOOLCHAIN.filter((t) => !resolves(t.probe)).map((t) => t.name);
  if (missing.length === 0) return;
  const peers =
    (
      JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
        peerDependencies?: Record<string, string>;
      }
    ).peerDependencies ?? {};
  const install = missing.map((name) => (peers[name] ? `${name}@${peers[name]}` : name)).join(' ');
  throw new MissingToolchainError(
    `${command}: needs the generator toolchain, which is not installed here (missing: ${missing.join(', ')}).\n` +
      `Install it as development dependencies: npm install --save-dev ${install}`,
  );
}
