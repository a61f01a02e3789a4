import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generate } from '../../generator/index.js';
import { acmePlatform, createFixtureRoot, type FixtureRoot } from './fixtures/fixture-root.js';

const ADAPTER = 'generated/adapters/acme-crm/index.ts';

describe('generate --check', () => {
  let root: FixtureRoot;
  beforeAll(async () => {
    root = await createFixtureRoot();
    await root.writeConfig([acmePlatform()]);
  });
  afterAll(() => root.cleanup());
  beforeEach(async () => {
    await rm(join(root.dir, 'generated'), { recursive: true, force: true });
    await generate({ root: root.dir, typeCheck: false });
  });

  it('is clean right after generating', async () => {
    expect((await generate({ root: root.dir, check: true })).drift).toEqual([]);
  });

  it('catches a hand-edited generated file, with a diff', async () => {
    const path = join(root.dir, ADAPTER);
    await writeFile(path, (await readFile(path, 'utf8')).replace('listContacts(', 'listContactz('));
    const { drift } = await generate({ root: root.dir, check: true });
    expect(drift.map((d) => [d.status, d.path])).toEqual([['changed', ADAPTER]]);
    expect(drift[0]?.diff).toContain('-  listContactz(');
    expect(drift[0]?.diff).toContain('+  listContacts(');
  });

  it('catches a deleted generated file', async () => {
    await rm(join(root.dir, 'generated/adapters/acme-crm/types.ts'));
    const { drift } = await generate({ root: root.dir, check: true });
    expect(drift.map((d) => [d.status, d.path])).toEqual([['missing', 'generated/adapters/acme-crm/types.ts']]);
  });

  it('catches an extra file in the generated folder', async () => {
    await writeFile(join(root.dir, 'generated/adapters/acme-crm/notes.ts'), 'export {};\n');
    const { drift } = await generate({ root: root.dir, check: true });
    expect(drift.map((d) => [d.status, d.path])).toEqual([['extra', 'generated/adapters/acme-crm/notes.ts']]);
  });

  it('catches an edit that keeps the manifest hash story consistent only by editing the manifest too', async () => {
    const path = join(root.dir, ADAPTER);
    await appendFile(path, '// tweak\n');
    const manifestPath = join(root.dir, 'generated/adapters/manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    manifest.files[ADAPTER].key = 'forged';
    await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    const { drift } = await generate({ root: root.dir, check: true });
    expect(drift.map((d) => d.path).sort()).toEqual([ADAPTER, 'generated/adapters/manifest.json']);
  });

  it('catches a config change that the generated files do not reflect', async () => {
    const changed = acmePlatform() as { entities: Record<string, { description: string }> };
    changed.entities.contacts!.description = 'People you sell to.';
    await root.writeConfig([changed]);
    try {
      const { drift } = await generate({ root: root.dir, check: true });
      expect(drift.map((d) => d.path)).toContain(ADAPTER);
    } finally {
      await root.writeConfig([acmePlatform()]);
    }
  });

  it('deletes orphans when generating, and leaves the tree clean', async () => {
    await writeFile(join(root.dir, 'generated/adapters/acme-crm/notes.ts'), 'export {};\n');
    const result = await generate({ root: root.dir, typeCheck: false });
    expect(result.deleted).toEqual(['generated/adapters/acme-crm/notes.ts']);
    expect((await generate({ root: root.dir, check: true })).drift).toEqual([]);
  });
});
