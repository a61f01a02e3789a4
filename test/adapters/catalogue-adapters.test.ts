/**
 * Every adapter in the registry against the sandbox in config-driven mode: it authenticates (and a wrong credential
 * is refused), lists every entity across at least three pages (one for entities the platform does not page) with
 * nothing lost, changed or repeated, and normalizes a record of each entity that has a standard type.
 *
 * The emulator knows only what each platform's config says (see `src/sandbox/config-driven/`), so these tests check
 * that the generated adapter, the runtime and the config agree end to end; the hand-written emulators check the
 * platform quirks beyond the config (`high-priority-adapters.test.ts`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getAdapterRegistry } from 'engarde';
import type { AnyAdapter, PlatformMeta } from 'engarde/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPath } from '../../src/runtime/dotted-path.js';
import { cursorInstant } from '../../src/runtime/incremental-filter.js';
import {
  type OpenApiSchemas,
  type RunningConfigDrivenEmulator,
  startConfigDrivenEmulator,
} from '../../src/sandbox/config-driven/index.js';

const RECORDS = 25;
/** 25 records at 10 a page: three pages, the last one short. */
const PAGE_SIZE = 10;

/**
 * Platforms whose API answers XML, which their config cannot say (their descriptions do): the emulator answers
 * them in XML, where every value reads back as text, so their listings are compared by id rather than deeply.
 */
const XML_PLATFORMS: ReadonlySet<string> = new Set(['amazon-s3', 'azure-blob-storage']);

/**
 * What the config-driven emulator cannot answer as the platform does, by platform id: those tests become
 * `it.todo` with the reason, never a test that passes against an answer the platform would not give. None at
 * present: every auth and pagination variant in the catalogue is emulated (see `src/sandbox/config-driven/`).
 */
const EMULATION_GAPS: Readonly<Record<string, { auth?: string; list?: string }>> = {};

const registry = getAdapterRegistry();
const root = fileURLToPath(new URL('../../', import.meta.url));

type CreateOptions = Record<string, unknown>;
const create = (id: string, options: CreateOptions): Promise<AnyAdapter> =>
  registry.create(id as never, options as never) as Promise<AnyAdapter>;

/** The adapter's own `static meta` (what the runtime acts on), read through the registry. */
async function metaOf(id: string): Promise<PlatformMeta> {
  const probe = await create(id, {
    credentials: {},
    connectionConfig: {},
    baseUrl: 'http://127.0.0.1:9',
    rateLimiter: false,
  });
  await probe.close();
  return probe.meta;
}

function openapiOf(meta: PlatformMeta): OpenApiSchemas | undefined {
  const file = meta.openapi?.file;
  if (!file || !existsSync(`${root}${file}`)) return undefined;
  return JSON.parse(readFileSync(`${root}${file}`, 'utf8')) as OpenApiSchemas;
}

const platforms = await Promise.all(registry.platforms().map(async (info) => ({ info, meta: await metaOf(info.id) })));

it('the registry has platforms to test', () => {
  expect(platforms.length).toBeGreaterThan(0);
});

for (const { info, meta } of platforms) {
  const gaps = EMULATION_GAPS[info.id] ?? {};

  describe(`${info.id} (${meta.auth.kind} auth, ${meta.pagination.kind} pagination)`, () => {
    let emulator: RunningConfigDrivenEmulator;
    let adapter: AnyAdapter;
    const adapterFor = (credentials?: Record<string, unknown>) =>
      create(info.id, {
        ...emulator.adapterOptions(credentials ? { credentials } : {}),
        tenantId: 'catalogue-test',
        retry: { maxAttempts: 1 },
        rateLimiter: false,
      });

    beforeAll(async () => {
      emulator = await startConfigDrivenEmulator(meta, {
        records: RECORDS,
        // The adapter's rate limiter is off, so the platform's is too (test/sandbox/config-driven-rate-limits.test.ts).
        rateLimit: false,
        openapi: openapiOf(meta),
        responseFormat: XML_PLATFORMS.has(info.id) ? 'xml' : 'json',
      });
      adapter = await adapterFor();
    });

    afterAll(async () => {
      await adapter?.close();
      await emulator?.close();
    });

    if (gaps.auth) {
      it.todo(`authenticates: ${gaps.auth}`);
      return;
    }

    it('authenticates: testConnection() is true', async () => {
      const accepted = emulator.control.auth.accepted;
      expect(await adapter.testConnection(), `refused: ${emulator.control.auth.lastRefusal}`).toBe(true);
      expect(emulator.control.auth.accepted).toBeGreaterThan(accepted);
    });

    it('a wrong credential makes testConnection() false', async () => {
      const refused = emulator.control.auth.refused;
      const wrong = await adapterFor(emulator.control.invalidCredentials);
      try {
        expect(await wrong.testConnection()).toBe(false);
        expect(emulator.control.auth.refused, 'the emulator refused the credentials').toBeGreaterThan(refused);
      } finally {
        await wrong.close();
      }
    });

    for (const [entity, config] of Object.entries(meta.entities)) {
      const pagination = config.pagination ?? meta.pagination;
      const paged = pagination.kind !== 'none';
      const title = `lists every ${entity} record ${paged ? `across ≥ 3 pages (${pagination.kind})` : 'in one page'}`;
      if (gaps.list) {
        it.todo(`${title}: ${gaps.list}`);
        continue;
      }

      it(`${title}, none lost, changed or repeated`, async () => {
        const seeded = emulator.control.records(entity);
        const servedBefore = emulator.control.served.length;
        const listed: unknown[] = [];
        for await (const record of adapter.list(entity, { pageSize: PAGE_SIZE })) listed.push(record);

        const ids = listed.map((r) => String(getPath(r, config.idField)));
        expect(new Set(ids).size, 'no duplicate ids').toBe(ids.length);
        if (XML_PLATFORMS.has(info.id)) expect(ids).toEqual(seeded.map((r) => String(getPath(r, config.idField))));
        else expect(listed).toEqual(seeded);
        const pages = emulator.control.served
          .slice(servedBefore)
          .filter((page) => page.entity === entity && page.records > 0);
        if (paged) expect(pages.length).toBeGreaterThanOrEqual(3);
        else expect(pages.length).toBe(1);
      });

      const incremental = config.incremental;
      if (incremental.kind === 'query-param' || incremental.kind === 'header') {
        const filter = incremental.kind === 'header' ? `${incremental.header} header` : incremental.param;
        it(`lists only the ${entity} records changed since an instant (${filter})`, async () => {
          const seeded = emulator.control.records(entity);
          const from = seeded.length - 6; // the last six records changed at or after the instant
          const since = new Date(cursorInstant(seeded[from], incremental.cursorField) ?? Number.NaN);
          const listed: unknown[] = [];
          for await (const record of adapter.list(entity, { since, pageSize: PAGE_SIZE })) listed.push(record);
          const idsOf = (rows: unknown[]) => rows.map((r) => String(getPath(r, config.idField)));
          expect(idsOf(listed)).toEqual(idsOf(seeded.slice(from)));
        });
      }

      if (config.getById) {
        it(`reads a ${entity} record by id`, async () => {
          const [record] = emulator.control.records(entity);
          const id = String(getPath(record, config.idField));
          const got = await adapter.get(entity, id);
          expect(String(getPath(got, config.idField))).toBe(id);
          if (!XML_PLATFORMS.has(info.id)) expect(got).toEqual(record);
        });
      }

      const standard = config.standard;
      if (standard) {
        it(`normalizes a ${entity} record into a ${standard}`, async () => {
          let raw: unknown;
          for await (const record of adapter.list(entity, { limit: 1 })) raw = record;
          expect(raw).toBeDefined();
          const normalized = adapter.normalize(entity, raw as Record<string, unknown>);
          expect(normalized.type).toBe(standard);
          expect(normalized.platform).toBe(info.id);
          expect(typeof normalized.id).toBe('string');
          expect(normalized.id).not.toBe('');
          expect(normalized.raw).toBe(raw);
        });
      }
    }
  });
}
