/**
 * Catalogue-level checks on `configs/platform_configs_extended.json`: how many platforms each category has against
 * the catalogue's targets, and rules every entry must keep (unique ids and names, https URLs, host variables that
 * cannot redirect a request, enough entities, OpenAPI descriptions present).
 *
 * The category targets are the catalogue issue's; until the catalogue is complete the count test fails and says
 * which categories are short, by how much.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PlatformConfig } from 'engarde/runtime';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, HOST_ESCAPE_PROBES, platformSchema } from '../../src/runtime/platform-schema.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CONFIG_FILE = 'configs/platform_configs_extended.json';

/** The catalogue issue's targets: at least this many platforms per category, and exactly 195 in all. */
const CATEGORY_TARGETS: Readonly<Record<(typeof CATEGORIES)[number], number>> = {
  payments: 13,
  pos: 11,
  advertising: 25,
  analytics: 11,
  crm: 9,
  communication: 14,
  ecommerce: 12,
  marketing: 13,
  workflow: 8,
  social_media: 10,
  accounting: 10,
  project_management: 10,
  data_storage: 24,
  developer_tools: 6,
  hr_recruiting: 7,
  shipping_logistics: 7,
};
const TOTAL_TARGET = 195;

/** A host placeholder must refuse each of these, or a value could send requests (and credentials) elsewhere. */
const HOST_PROBES = [...new Set(['evil.com#', 'x@evil.com', 'evil.com/', ...HOST_ESCAPE_PROBES])];

const raw = JSON.parse(readFileSync(`${root}${CONFIG_FILE}`, 'utf8')) as { platforms: Array<Record<string, unknown>> };
const parsed = raw.platforms.map((entry) => ({ entry, result: platformSchema.safeParse(entry) }));
const platforms: PlatformConfig[] = parsed.flatMap(({ result }) => (result.success ? [result.data] : []));

/** Keys whose values are URLs by the schema. */
const URL_KEYS = new Set(['docsUrl', 'baseUrl', 'authorizationUrl', 'tokenUrl', 'revocationUrl', 'source']);

/**
 * Every URL in an entry, with its JSON path: the values of URL keys, and any other string that is a URL as a whole
 * (`fields` are record types, not URLs, and are skipped).
 */
function urlValues(value: unknown, path: string, key: string, out: Array<[string, string]>): Array<[string, string]> {
  if (typeof value === 'string') {
    if (URL_KEYS.has(key) || /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) out.push([path, value]);
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) urlValues(v, `${path}/${i}`, key, out);
  } else if (value !== null && typeof value === 'object' && key !== 'fields') {
    for (const [k, v] of Object.entries(value)) urlValues(v, `${path}/${k}`, k, out);
  }
  return out;
}

/** URL templates whose host may hold connection variables. */
function urlTemplates(p: PlatformConfig): Array<[string, string]> {
  const out: Array<[string, string]> = [['baseUrl', p.baseUrl]];
  if (p.auth.kind === 'oauth2') {
    for (const key of ['authorizationUrl', 'tokenUrl', 'revocationUrl'] as const) {
      const url = p.auth[key];
      if (url) out.push([`auth.${key}`, url]);
    }
  }
  if (p.auth.kind === 'google_service_account') out.push(['auth.tokenUrl', p.auth.tokenUrl]);
  return out;
}

describe(`the catalogue (${CONFIG_FILE})`, () => {
  it(`has the target number of platforms in every category, ${TOTAL_TARGET} in all`, () => {
    const counts = new Map<string, number>(CATEGORIES.map((c) => [c, 0]));
    for (const p of raw.platforms) counts.set(String(p.category), (counts.get(String(p.category)) ?? 0) + 1);
    const rows = CATEGORIES.map((c) => {
      const have = counts.get(c) ?? 0;
      const want = CATEGORY_TARGETS[c];
      return `${c.padEnd(20)} ${String(have).padStart(3)} / ≥ ${String(want).padEnd(3)} ${have >= want ? 'ok' : `short by ${want - have}`}`;
    });
    const total = raw.platforms.length;
    const report = [...rows, `${'total'.padEnd(20)} ${String(total).padStart(3)} / = ${TOTAL_TARGET}`].join('\n');
    const short = CATEGORIES.filter((c) => (counts.get(c) ?? 0) < CATEGORY_TARGETS[c]);
    expect(short, `categories below target:\n${report}`).toEqual([]);
    expect(total, `platforms in all:\n${report}`).toBe(TOTAL_TARGET);
  });

  it('every entry validates against the platform schema', () => {
    const problems = parsed.flatMap(({ entry, result }) =>
      result.success ? [] : result.error.issues.map((i) => `${String(entry.id)} /${i.path.join('/')}: ${i.message}`),
    );
    expect(problems).toEqual([]);
  });

  it('has unique ids and unique names', () => {
    const duplicates = (values: string[]) => values.filter((v, i) => values.indexOf(v) !== i);
    expect(duplicates(raw.platforms.map((p) => String(p.id))), 'duplicate ids').toEqual([]);
    expect(duplicates(raw.platforms.map((p) => String(p.name).toLowerCase())), 'duplicate names').toEqual([]);
  });

  it('uses https for every URL', () => {
    const insecure = raw.platforms.flatMap((p) =>
      urlValues(p, String(p.id), '', [])
        .filter(([, url]) => !url.startsWith('https://'))
        .map(([at, url]) => `${at}: ${url}`),
    );
    expect(insecure).toEqual([]);
  });

  it(`has host variables whose patterns refuse ${HOST_PROBES.map((p) => JSON.stringify(p)).join(', ')}`, () => {
    const leaks: string[] = [];
    let checked = 0;
    for (const p of platforms) {
      for (const [field, template] of urlTemplates(p)) {
        const host = /^https:\/\/([^/?#]*)/.exec(template)?.[1] ?? '';
        for (const name of [...host.matchAll(/\{([A-Za-z][A-Za-z0-9_]*)\}/g)].map((m) => m[1] as string)) {
          const variable = p.connectionConfig[name];
          if (!variable) {
            leaks.push(`${p.id} ${field}: {${name}} is not a connection variable with a pattern`);
            continue;
          }
          checked++;
          const pattern = new RegExp(variable.pattern);
          for (const probe of HOST_PROBES) {
            if (pattern.test(probe)) leaks.push(`${p.id} ${field}: {${name}} accepts ${JSON.stringify(probe)}`);
          }
        }
      }
    }
    expect(leaks).toEqual([]);
    if (platforms.some((p) => /\{/.test(p.baseUrl.split('/')[2] ?? ''))) expect(checked).toBeGreaterThan(0);
  });

  it('gives every platform at least 2 entities', () => {
    const thin = platforms
      .filter((p) => Object.keys(p.entities).length < 2)
      .map((p) => `${p.id}: ${Object.keys(p.entities).join(', ')}`);
    expect(thin).toEqual([]);
  });

  it("has every OpenAPI-typed platform's trimmed description, with the schemas its entities name", () => {
    const missing: string[] = [];
    for (const p of platforms) {
      if (!p.openapi) continue;
      const file = `${root}${p.openapi.file}`;
      if (!existsSync(file)) {
        missing.push(`${p.id}: ${p.openapi.file} does not exist`);
        continue;
      }
      const schemas =
        (JSON.parse(readFileSync(file, 'utf8')) as { components?: { schemas?: Record<string, unknown> } }).components
          ?.schemas ?? {};
      for (const [entity, e] of Object.entries(p.entities)) {
        if (e.openapiSchema && !Object.hasOwn(schemas, e.openapiSchema)) {
          missing.push(`${p.id} ${entity}: schema ${e.openapiSchema} is not in ${p.openapi.file}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
