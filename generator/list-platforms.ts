import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PlatformConfig } from '../src/runtime/platform-schema.js';
import { loadConfig } from './config/load-config.js';
import { createContext, DEFAULT_CONFIG_FILE, type GenerateOptions } from './context.js';
import { packageRoot } from './package-root.js';

/**
 * Validated platforms of a config file, for `engarde list` and tools. Reads no template and loads none of the
 * generator's toolchain, so it works where only the runtime is installed. Asked for the default config in a project
 * that has none (one that installed the package), it reads the package's own catalogue.
 *
 * @example
 * const platforms = await listPlatforms({ configFile: 'engarde.config.json', allowExtends: true });
 */
export async function listPlatforms(
  options: Pick<GenerateOptions, 'root' | 'configFile'> & { allowExtends?: boolean } = {},
): Promise<PlatformConfig[]> {
  const ctx = createContext(options);
  const catalogueHere = existsSync(join(ctx.root, DEFAULT_CONFIG_FILE));
  const root = ctx.configFile === DEFAULT_CONFIG_FILE && !catalogueHere ? packageRoot() : ctx.root;
  return (await loadConfig(root, ctx.configFile, { allowExtends: options.allowExtends ?? false })).platforms;
}
