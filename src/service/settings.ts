/**
 * The service's settings, from the environment (DESIGN.md §4), checked once at start with zod. Every problem is
 * reported at once, each naming its variable; `engarde serve` prints them and exits 2.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { generateKeyRingText, type KeyRing, parseKeyRing } from '../db/crypto/key-ring.js';

export interface OAuthOverride {
  authorizationUrl?: string | undefined;
  tokenUrl?: string | undefined;
  revocationUrl?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  /** When set, the OAuth callback's `iss` must equal it (RFC 9207). */
  issuer?: string | undefined;
}

export interface PlatformOverride {
  baseUrl?: string | undefined;
  oauth?: OAuthOverride | undefined;
}

export interface Settings {
  production: boolean;
  /** `undefined`: start (or find) the embedded Postgres. */
  databaseUrl: string | undefined;
  host: string;
  port: number;
  /** Without a trailing slash; OAuth redirect URIs and webhook endpoints are built on it. */
  publicUrl: string;
  keyRing: KeyRing;
  /** Where the key ring came from: the environment, or a development file (with a warning). */
  keyRingSource: 'environment' | { generatedFile: string; created: boolean };
  allowPrivateNetwork: string[];
  platformOverrides: Readonly<Record<string, PlatformOverride>>;
  metricsToken: string | undefined;
  /** Requests a minute each tenant may make to our API. */
  apiRateLimitPerMinute: number;
  /** Fastify `trustProxy`: behind a TLS-terminating proxy. */
  trustProxy: boolean | number | string;
  tls: { certFile: string; keyFile: string } | undefined;
  logLevel: string;
  /** `.engarde/` by default: the embedded database, the development key ring. */
  dataDir: string;
  /** How long the hourly cleanup keeps operational history, in days. */
  retention: {
    /** Processed and failed webhook events (`ENGARDE_EVENT_RETENTION_DAYS`, 30). */
    eventDays: number;
    /**
     * Finished sync runs, sent or discarded outbox rows, resolved conflicts, health checks and permanently failed
     * jobs (`ENGARDE_HISTORY_RETENTION_DAYS`, 30).
     */
    historyDays: number;
    /** The 10-minute statistics rollups (`ENGARDE_STATS_RETENTION_DAYS`, 90). */
    statsDays: number;
  };
}

/** A settings problem: `VARIABLE: what is wrong`. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

const httpUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without user info');

const overrideSchema = z
  .object({
    baseUrl: httpUrl.optional(),
    oauth: z
      .object({
        authorizationUrl: httpUrl.optional(),
        tokenUrl: httpUrl.optional(),
        revocationUrl: httpUrl.optional(),
        clientId: z.string().min(1).optional(),
        clientSecret: z.string().min(1).optional(),
        issuer: httpUrl.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** A retention period: whole days, at least one, at most ten years. */
function retentionDays(fallback: number) {
  return z.coerce
    .number({ message: 'must be a number of days' })
    .int('must be a whole number of days')
    .min(1, 'must be at least 1 day')
    .max(3650, 'must be at most 3650 days')
    .default(fallback);
}

const envSchema = z.object({
  NODE_ENV: z.string().optional(),
  DATABASE_URL: z
    .string()
    .trim()
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL')
    .optional(),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PORT: z.coerce
    .number({ message: 'must be a port number' })
    .int('must be a whole number')
    .min(0, 'must be 0–65535')
    .max(65_535, 'must be 0–65535')
    .default(3000),
  ENGARDE_PUBLIC_URL: httpUrl.optional(),
  ENGARDE_ENCRYPTION_KEYS: z.string().optional(),
  ENGARDE_ALLOW_PRIVATE_NETWORK: z.string().optional(),
  ENGARDE_PLATFORM_OVERRIDES: z.string().trim().min(1).optional(),
  ENGARDE_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  ENGARDE_API_RATE_LIMIT: z.coerce
    .number({ message: 'must be a number of requests a minute' })
    .int('must be a whole number')
    .positive('must be positive')
    .default(600),
  ENGARDE_TRUST_PROXY: z.string().trim().optional(),
  ENGARDE_TLS_CERT_FILE: z.string().trim().min(1).optional(),
  ENGARDE_TLS_KEY_FILE: z.string().trim().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ENGARDE_DATA_DIR: z.string().trim().min(1).default('.engarde'),
  ENGARDE_EVENT_RETENTION_DAYS: retentionDays(30),
  ENGARDE_HISTORY_RETENTION_DAYS: retentionDays(30),
  ENGARDE_STATS_RETENTION_DAYS: retentionDays(90),
});

export interface LoadSettingsOptions {
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Platform ids an override may name (the registry's). */
  platformIds: readonly string[];
  /** Resolves relative paths (`ENGARDE_DATA_DIR`, the overrides file). Default `process.cwd()`. */
  cwd?: string;
}

/**
 * @throws SettingsError listing every problem, each as `VARIABLE: message`.
 * @example
 * const settings = loadSettings({ platformIds: registry.platforms().map((p) => p.id) });
 */
export function loadSettings(options: LoadSettingsOptions): Settings {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const problems: string[] = [];
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${String(issue.path[0])}: ${issue.message}`);
    throw new SettingsError(problems);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const dataDir = path.resolve(cwd, e.ENGARDE_DATA_DIR);

  const publicUrl = (e.ENGARDE_PUBLIC_URL ?? `http://${e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST}:${e.PORT}`)
    .trim()
    .replace(/\/+$/, '');
  if (production && !publicUrl.startsWith('https://')) {
    problems.push(
      'ENGARDE_PUBLIC_URL: must be an https:// URL when NODE_ENV=production (OAuth redirect URIs and webhook endpoints are built on it)',
    );
  }

  let keyRing: KeyRing | undefined;
  let keyRingSource: Settings['keyRingSource'] = 'environment';
  if (e.ENGARDE_ENCRYPTION_KEYS !== undefined) {
    try {
      keyRing = parseKeyRing(e.ENGARDE_ENCRYPTION_KEYS);
    } catch (error) {
      problems.push(`ENGARDE_ENCRYPTION_KEYS: ${(error as Error).message}`);
    }
  } else if (production) {
    problems.push(
      'ENGARDE_ENCRYPTION_KEYS: required when NODE_ENV=production ("v1:<base64 of 32 random bytes>"; e.g. `openssl rand -base64 32`)',
    );
  } else {
    const generated = developmentKeyRing(dataDir);
    keyRing = generated.ring;
    keyRingSource = { generatedFile: generated.file, created: generated.created };
  }

  const allowPrivateNetwork = (e.ENGARDE_ALLOW_PRIVATE_NETWORK ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  allowPrivateNetwork.forEach((cidr, i) => {
    try {
      ipaddr.parseCIDR(cidr);
    } catch {
      problems.push(`ENGARDE_ALLOW_PRIVATE_NETWORK: entry ${i + 1} "${cidr}" is not a CIDR (e.g. 10.0.0.0/8)`);
    }
  });

  const platformOverrides: Record<string, PlatformOverride> = {};
  if (e.ENGARDE_PLATFORM_OVERRIDES !== undefined) {
    problems.push(
      ...readOverrides(path.resolve(cwd, e.ENGARDE_PLATFORM_OVERRIDES), options.platformIds, platformOverrides),
    );
  }

  let tls: Settings['tls'];
  if ((e.ENGARDE_TLS_CERT_FILE === undefined) !== (e.ENGARDE_TLS_KEY_FILE === undefined)) {
    problems.push('ENGARDE_TLS_CERT_FILE: set together with ENGARDE_TLS_KEY_FILE (both, or neither)');
  } else if (e.ENGARDE_TLS_CERT_FILE && e.ENGARDE_TLS_KEY_FILE) {
    tls = { certFile: path.resolve(cwd, e.ENGARDE_TLS_CERT_FILE), keyFile: path.resolve(cwd, e.ENGARDE_TLS_KEY_FILE) };
    for (const [name, file] of [
      ['ENGARDE_TLS_CERT_FILE', tls.certFile],
      ['ENGARDE_TLS_KEY_FILE', tls.keyFile],
    ] as const) {
      if (!existsSync(file)) problems.push(`${name}: ${file} does not exist`);
    }
  }

  const trustProxy = parseTrustProxy(e.ENGARDE_TRUST_PROXY, problems);
  if (production && tls === undefined && trustProxy === false) {
    problems.push(
      'ENGARDE_TRUST_PROXY: with NODE_ENV=production the service runs behind a TLS proxy (set ENGARDE_TRUST_PROXY, e.g. "true" or the proxy\'s address) or serves TLS itself (ENGARDE_TLS_CERT_FILE and ENGARDE_TLS_KEY_FILE)',
    );
  }

  if (problems.length > 0 || keyRing === undefined) throw new SettingsError(problems);
  return {
    production,
    databaseUrl: e.DATABASE_URL,
    host: e.HOST,
    port: e.PORT,
    publicUrl,
    keyRing,
    keyRingSource,
    allowPrivateNetwork,
    platformOverrides,
    metricsToken: e.ENGARDE_METRICS_TOKEN,
    apiRateLimitPerMinute: e.ENGARDE_API_RATE_LIMIT,
    trustProxy,
    tls,
    logLevel: e.LOG_LEVEL,
    dataDir,
    retention: {
      eventDays: e.ENGARDE_EVENT_RETENTION_DAYS,
      historyDays: e.ENGARDE_HISTORY_RETENTION_DAYS,
      statsDays: e.ENGARDE_STATS_RETENTION_DAYS,
    },
  };
}

function parseTrustProxy(value: string | undefined, problems: string[]): Settings['trustProxy'] {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value); // hops
  const entries = value.split(',').map((v) => v.trim());
  for (const entry of entries) {
    if (!ipaddr.isValid(entry) && !isCidr(entry)) {
      problems.push(`ENGARDE_TRUST_PROXY: "${entry}" is not true, false, a hop count, an address or a CIDR`);
      return false;
    }
  }
  return value;
}

function isCidr(value: string): boolean {
  try {
    ipaddr.parseCIDR(value);
    return true;
  } catch {
    return false;
  }
}

function readOverrides(file: string, platformIds: readonly string[], out: Record<string, PlatformOverride>): string[] {
  const name = 'ENGARDE_PLATFORM_OVERRIDES';
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'is not valid JSON';
    return [`${name}: ${file} ${why}`];
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return [`${name}: ${file} must hold an object keyed by platform id`];
  }
  const known = new Set(platformIds);
  const problems: string[] = [];
  for (const [id, value] of Object.entries(json)) {
    if (!known.has(id)) {
      problems.push(`${name}: ${file} /${id}: unknown platform id "${id}"`);
      continue;
    }
    const result = overrideSchema.safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) {
        const pointer = ['', id, ...issue.path.map(String)].join('/');
        const message =
          issue.code === 'unrecognized_keys'
            ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`
            : issue.message;
        problems.push(`${name}: ${file} ${pointer}: ${message}`);
      }
      continue;
    }
    out[id] = result.data;
  }
  return problems;
}

/**
 * The development key ring: generated once into `<dataDir>/encryption-keys` (mode 0600, git-ignored with the rest of
 * `.engarde/`), then reused, so secrets stored in development survive restarts.
 */
function developmentKeyRing(dataDir: string): { ring: KeyRing; file: string; created: boolean } {
  const file = path.join(dataDir, 'encryption-keys');
  let created = false;
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${generateKeyRingText('dev1')}\n`, { mode: 0o600, flag: 'wx' });
    created = true;
  }
  chmodSync(file, 0o600);
  return { ring: parseKeyRing(readFileSync(file, 'utf8').trim()), file, created };
}
