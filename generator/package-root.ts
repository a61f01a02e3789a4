import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The folder of the engarde package itself (templates and generator sources live there), whether the generator
 * runs from source with tsx or from `dist/`, in this repository or installed in another project.
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'templates'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('engarde: cannot find the package root (package.json beside templates/)');
    dir = parent;
  }
  cached = dir;
  return dir;
}
