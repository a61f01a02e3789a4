import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeneratedTypeError } from '../../generator/errors.js';
import { generate } from '../../generator/index.js';
import { typeCheckGenerated } from '../../generator/output/type-check.js';
import { CONFIG, createFixtureRoot, type FixtureRoot, repoRoot } from './fixtures/fixture-root.js';

describe('type-checking generated code', () => {
  let root: FixtureRoot;
  beforeAll(async () => {
    root = await createFixtureRoot();
    await cp(join(repoRoot, 'configs/openapi'), join(root.dir, 'configs/openapi'), { recursive: true });
    await cp(join(repoRoot, CONFIG), join(root.dir, CONFIG));
  });
  afterAll(() => root.cleanup());

  it('generates the real catalogue from scratch, type-checked, identical to the committed tree', async () => {
    const result = await generate({ root: root.dir, typeCheck: true, force: true });
    expect(result.platforms).toBeGreaterThanOrEqual(6);
    for (const path of result.written.filter((p) => p.startsWith('generated/'))) {
      expect(await readFile(join(root.dir, path), 'utf8'), path).toBe(await readFile(join(repoRoot, path), 'utf8'));
    }
  });

  it('fails on a type error in generated code and names the platform', async () => {
    const broken = {
      path: 'generated/adapters/acme-crm/index.ts',
      platformId: 'acme-crm',
      content: "import type { Nope } from '../../../src/runtime/index.js';\nexport const x: Nope = 1;\n",
    };
    const error = await typeCheckGenerated(root.dir, [broken]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GeneratedTypeError);
    expect((error as GeneratedTypeError).platforms).toEqual(['acme-crm']);
    expect((error as Error).message).toContain(
      "generated/adapters/acme-crm/index.ts:1:15: TS2305: Module '\"../../../src/runtime/index.js\"' has no exported member 'Nope'.",
    );
  });

  it('reports the same errors when the incremental state already recorded them', async () => {
    const cacheDir = join(root.dir, '.type-check-cache');
    const broken = {
      path: 'generated/adapters/acme-crm/index.ts',
      platformId: 'acme-crm',
      content: 'export const x: string = 1;\n',
    };
    for (let run = 0; run < 2; run++) {
      const error = await typeCheckGenerated(root.dir, [broken], { cacheDir }).catch((e: unknown) => e);
      expect(error, `run ${run}`).toBeInstanceOf(GeneratedTypeError);
      expect((error as Error).message).toContain('generated/adapters/acme-crm/index.ts:1:14: TS2322');
    }
  });

  it('checks a file again when what it imports changes, even though its own text did not', async () => {
    const cacheDir = join(root.dir, '.type-check-cache');
    const user = {
      path: 'generated/adapters/acme-crm/index.ts',
      platformId: 'acme-crm',
      content: "import type { Id } from './types.js';\nexport const id: Id = 'a';\n",
    };
    const types = (type: string) => ({
      path: 'generated/adapters/acme-crm/types.ts',
      platformId: 'acme-crm',
      content: `export type Id = ${type};\n`,
    });
    await typeCheckGenerated(root.dir, [user, types('string')], { cacheDir });
    await typeCheckGenerated(root.dir, [user, types('string')], { cacheDir });
    const error = await typeCheckGenerated(root.dir, [user, types('number')], { cacheDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GeneratedTypeError);
    expect((error as Error).message).toContain('generated/adapters/acme-crm/index.ts:2:14: TS2322');
  });
});
