/**
 * `tsx scripts/catalogue/apply-verification.ts <results.json>...`: lays a catalogue audit's results onto
 * `configs/platform_configs_extended.json`. A results file holds, per platform id:
 *
 *   { "verifiedAt": "2026-12-08",
 *     "sources": { "api": url, "auth": url, "rateLimit": url, "pagination": url, "webhooks": url,
 *                  "entities": { "<entity>": url }, "githubOrgs": [...], "domains": [...] },
 *     "changes": [{ "pointer": "/rateLimit", "old": …, "new": …, "because": "…", "source": url }],
 *     "keptAbsences": [...], "unresolved": [...] }
 *
 * A change applies only where the entry still holds its `old` value (the audit saw what is there); otherwise it is
 * reported and skipped. Results without a `verifiedAt` are dated today. Source URLs that are not https are dropped and reported. The result is validated as a whole
 * (every problem at once) before the file is written; nothing is written when it does not validate.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { validateConfig } from '../../generator/config/load-config.js';

const CONFIG = 'configs/platform_configs_extended.json';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Entry = Record<string, Json>;

interface Change {
  pointer: string;
  old?: Json;
  new: Json;
  because: string;
  source: string;
}

interface Result {
  verifiedAt?: string;
  sources?: Record<string, Json>;
  changes?: Change[];
}

function tokens(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function at(entry: Json, pointer: string): Json | undefined {
  let node: Json | undefined = entry;
  for (const key of tokens(pointer)) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, Json>)[key];
  }
  return node;
}

function set(entry: Entry, pointer: string, value: Json): void {
  const keys = tokens(pointer);
  let node = entry as Record<string, Json>;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, Json>;
  }
  node[keys.at(-1) as string] = value;
}

/** The entry with `verifiedAt` and `sources` right after `apiVersion`, where the schema documents them. */
function withCitations(entry: Entry, verifiedAt: string, sources: Record<string, Json>): Entry {
  const out: Entry = {};
  for (const [key, value] of Object.entries(entry)) {
    if (key === 'verifiedAt' || key === 'sources') continue;
    out[key] = value;
    if (key === 'apiVersion') {
      out.verifiedAt = verifiedAt;
      out.sources = sources;
    }
  }
  return out;
}

function httpsOnly(sources: Record<string, Json>, id: string, log: string[]): Record<string, Json> {
  const keep = (url: Json, where: string) => {
    if (typeof url === 'string' && url.startsWith('https://')) return true;
    log.push(`${id} /sources${where}: ${JSON.stringify(url)} dropped (not an https URL)`);
    return false;
  };
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(sources)) {
    if (key === 'entities' && value && typeof value === 'object' && !Array.isArray(value)) {
      out.entities = Object.fromEntries(Object.entries(value).filter(([e, url]) => keep(url, `/entities/${e}`)));
    } else if (key === 'githubOrgs' || key === 'domains') {
      out[key] = value;
    } else if (keep(value, `/${key}`)) {
      out[key] = value;
    }
  }
  return out;
}

/** The day an audit without its own `verifiedAt` dates its results: today, in UTC. */
const today = new Date().toISOString().slice(0, 10);

function main(files: string[]): number {
  const config = JSON.parse(readFileSync(CONFIG, 'utf8')) as { platforms: Entry[] };
  const log: string[] = [];
  let applied = 0;
  for (const file of files) {
    const results = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Result>;
    for (const [id, result] of Object.entries(results)) {
      const index = config.platforms.findIndex((p) => p.id === id);
      if (index < 0) {
        log.push(`${id}: not in ${CONFIG}; skipped`);
        continue;
      }
      let entry = config.platforms[index] as Entry;
      for (const change of result.changes ?? []) {
        // `old: null` stands for a field the entry does not have yet.
        const current = at(entry, change.pointer) ?? null;
        if ('old' in change && !isDeepStrictEqual(current, change.old ?? null)) {
          log.push(`${id} ${change.pointer}: the entry no longer holds the audited value; change skipped`);
          continue;
        }
        set(entry, change.pointer, change.new);
        applied++;
      }
      if (result.sources) {
        const existing = (entry.sources ?? {}) as Record<string, Json>;
        const merged = { ...existing, ...httpsOnly(result.sources, id, log) };
        const entities = merged.entities as Record<string, Json> | undefined;
        const cites =
          ['api', 'auth', 'rateLimit', 'pagination', 'webhooks'].some((k) => merged[k] !== undefined) ||
          Object.keys(entities ?? {}).length > 0;
        if (cites) entry = withCitations(entry, result.verifiedAt ?? (entry.verifiedAt as string) ?? today, merged);
        else log.push(`${id}: cites no page; left unverified`);
      }
      config.platforms[index] = entry;
    }
  }
  validateConfig(config, CONFIG);
  writeFileSync(CONFIG, `${JSON.stringify(config, null, 2)}\n`);
  for (const line of log) console.log(line);
  console.log(`apply-verification: ${applied} change(s) applied; ${log.length} note(s)`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
