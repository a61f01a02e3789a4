import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openApiToTypeScript } from '../../../generator/openapi/openapi-types.js';

const tinySpec = () => ({
  openapi: '3.0.0',
  info: { title: 'Tiny', version: '1' },
  paths: {
    '/pets/{pet}': {
      get: {
        operationId: 'GetPet',
        parameters: [{ name: 'pet', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': {
            description: 'OK',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/pet' } } },
          },
        },
      },
    },
  },
  components: {
    schemas: {
      pet: {
        type: 'object',
        required: ['id'],
        properties: {
          name: { type: 'string', nullable: true },
          id: { type: 'string' },
          owner: { anyOf: [{ type: 'string' }, { $ref: '#/components/schemas/owner' }] },
          extra: {},
        },
      },
      owner: { type: 'object', properties: { id: { type: 'string' } } },
    },
  },
});

describe('openApiToTypeScript', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'engarde-openapi-types-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('emits a components interface with the schema properties, alphabetized and strict', async () => {
    const source = await openApiToTypeScript(tinySpec());
    expect(source).toContain('export interface components {');
    expect(source).toMatch(
      /pet: \{\s+extra\?: unknown;\s+id: string;\s+name\?: string \| null;\s+owner\?: string \| components\["schemas"\]\["owner"\];\s+\};/,
    );
    expect(source).toContain('GetPet: {');
    expect(source.endsWith(';\n') || source.endsWith('}\n')).toBe(true);
  });

  test('is deterministic and independent of key order', async () => {
    const spec = tinySpec();
    const reordered = { components: spec.components, paths: spec.paths, info: spec.info, openapi: spec.openapi };
    expect(await openApiToTypeScript(reordered)).toBe(await openApiToTypeScript(spec));
  });

  test('caches on disk and ignores a corrupt entry', async () => {
    const cacheDir = join(dir, 'cache');
    const fresh = await openApiToTypeScript(tinySpec(), { cacheDir });
    const [entry, ...others] = await readdir(cacheDir);
    expect(others).toEqual([]);
    expect(entry).toMatch(/^[0-9a-f]{64}\.ts$/);
    const file = join(cacheDir, entry as string);
    expect(await openApiToTypeScript(tinySpec(), { cacheDir })).toBe(fresh);

    // Tampered content under a valid-looking header: ignored, regenerated, rewritten.
    const raw = await readFile(file, 'utf8');
    await writeFile(file, raw.replace('id: string;', 'id: number;'));
    expect(await openApiToTypeScript(tinySpec(), { cacheDir })).toBe(fresh);
    expect(await readFile(file, 'utf8')).toBe(raw);

    await writeFile(file, 'garbage');
    expect(await openApiToTypeScript(tinySpec(), { cacheDir })).toBe(fresh);
  });

  test('an unwritable cache directory does not fail the conversion', async () => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    expect(await openApiToTypeScript(tinySpec(), { cacheDir: join(blocker, 'cache') })).toContain(
      'interface components',
    );
  });
});
