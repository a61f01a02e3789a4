/**
 * `tsx scripts/catalogue/check-sources.ts [config file]`: every URL the catalogue cites (each entry's `docsUrl`,
 * `sources`, `webhooks.docsUrl` and `openapi.source`) must be a well-formed https URL on the vendor's own domain or
 * in one of its official GitHub organisations (`sources.githubOrgs`: their repositories and `<org>.github.io` sites). CI runs it; exit 1 lists each problem as
 * `<file>: <platform id> <json pointer>: <message>`.
 *
 * The vendor's domains are the registrable domains (public suffix list, via `tldts`) of the hosts the entry itself
 * talks to or documents: its base URL, OAuth URLs and `docsUrl`. On a shared documentation host (readme.io, apiary.io,
 * …) the whole host name stands for the vendor instead, so one vendor's pages there never vouch for another's.
 * `sources.domains` adds the vendor's other official domains.
 */
import { readFileSync } from 'node:fs';
import { getDomain } from 'tldts';
import type { PlatformConfig } from '../../src/runtime/platform-schema.js';

/** Hosting services that serve many vendors' documentation under their own domain. */
const SHARED_DOC_HOSTS = new Set([
  'apiary.io',
  'getpostman.com',
  'github.io',
  'gitbook.io',
  'netlify.app',
  'postman.com',
  'readme.io',
  'stoplight.io',
  'vercel.app',
]);
const GITHUB_HOSTS = new Set(['github.com', 'raw.githubusercontent.com']);

export interface SourceProblem {
  platformId: string;
  pointer: string;
  message: string;
}

/** The unit that identifies a vendor by a host: its registrable domain, or the whole host on a shared doc host. */
function vendorUnit(host: string): string | undefined {
  const domain = getDomain(host) ?? undefined;
  return domain !== undefined && SHARED_DOC_HOSTS.has(domain) ? host : domain;
}

/** The host of a URL template (`https://{shop}.myshopify.com/admin` → `x.myshopify.com`), if it has a fixed domain. */
function templateHost(template: string | undefined): string | undefined {
  if (!template) return undefined;
  const host = /^https?:\/\/([^/?#]+)/.exec(template)?.[1];
  return host?.replace(/\{[^}]*\}/g, 'x').toLowerCase();
}

/** Every URL an entry cites, by JSON pointer. */
export function citedUrls(p: PlatformConfig): Array<[pointer: string, url: string]> {
  const urls: Array<[string, string]> = [['/docsUrl', p.docsUrl]];
  const s = p.sources;
  for (const key of ['api', 'auth', 'rateLimit', 'pagination', 'webhooks'] as const) {
    if (s?.[key]) urls.push([`/sources/${key}`, s[key]]);
  }
  for (const [entity, url] of Object.entries(s?.entities ?? {})) urls.push([`/sources/entities/${entity}`, url]);
  if ('docsUrl' in p.webhooks && p.webhooks.docsUrl) urls.push(['/webhooks/docsUrl', p.webhooks.docsUrl]);
  if (p.openapi) urls.push(['/openapi/source', p.openapi.source]);
  return urls;
}

/**
 * @example
 * checkSources(stripe); // [] when every cited URL is on stripe.com or github.com/stripe
 */
export function checkSources(p: PlatformConfig): SourceProblem[] {
  const vendor = new Set<string>();
  const auth = p.auth as { authorizationUrl?: string; tokenUrl?: string };
  for (const template of [p.baseUrl, auth.authorizationUrl, auth.tokenUrl, p.docsUrl]) {
    const host = templateHost(template);
    const unit = host && vendorUnit(host);
    if (unit) vendor.add(unit);
  }
  for (const domain of p.sources?.domains ?? []) vendor.add(vendorUnit(domain) ?? domain);
  const orgs = new Set((p.sources?.githubOrgs ?? []).map((o) => o.toLowerCase()));
  const problems: SourceProblem[] = [];
  for (const [pointer, text] of citedUrls(p)) {
    const problem = urlProblem(text, vendor, orgs);
    if (problem) problems.push({ platformId: p.id, pointer, message: problem });
  }
  return problems;
}

function urlProblem(text: string, vendor: ReadonlySet<string>, orgs: ReadonlySet<string>): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${JSON.stringify(text)} is not a URL`;
  }
  if (url.protocol !== 'https:') return `${text} is not https`;
  if (url.username || url.password) return `${text} carries credentials`;
  if (/\s/.test(text)) return `${JSON.stringify(text)} has whitespace`;
  const host = url.hostname.toLowerCase();
  if (GITHUB_HOSTS.has(host)) {
    const org = url.pathname.split('/')[1]?.toLowerCase() ?? '';
    return orgs.has(org)
      ? undefined
      : `${text} is on GitHub but "${org}" is not one of the vendor's organisations in /sources/githubOrgs`;
  }
  // An organisation's GitHub Pages site (`<org>.github.io`) is the organisation's, like its repositories.
  if (host.endsWith('.github.io') && orgs.has(host.slice(0, -'.github.io'.length))) return undefined;
  const unit = vendorUnit(host);
  if (unit && vendor.has(unit)) return undefined;
  return `${text} is not on the vendor's own domain (${[...vendor].sort().join(', ')}) or its GitHub organisations`;
}

async function main(): Promise<number> {
  const file = process.argv[2] ?? 'configs/platform_configs_extended.json';
  const { validateConfig } = await import('../../generator/config/load-config.js');
  const { platforms } = validateConfig(JSON.parse(readFileSync(file, 'utf8')), file);
  const problems = platforms.flatMap(checkSources);
  for (const p of problems) console.log(`${file}: ${p.platformId} ${p.pointer}: ${p.message}`);
  const cited = platforms.filter((p) => p.verifiedAt);
  const urls = platforms.reduce((n, p) => n + citedUrls(p).length, 0);
  console.log(
    `check-sources: ${urls} cited URLs in ${platforms.length} platforms (${cited.length} verified against per-fact sources), ` +
      `${problems.length} problem(s)`,
  );
  return problems.length === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
