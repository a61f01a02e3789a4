/**
 * What `engarde sandbox <id>` serves: a platform's hand-written emulator where one exists, otherwise the
 * config-driven emulator built from the platform's config. Both come out as one shape, so the command injects
 * faults, logs requests and prints the banner the same way for every platform.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlatformMeta } from '../runtime/adapter-types.js';
import { rateLimitSummary } from '../runtime/rate-limit/rate-limit-models.js';
import { configDrivenAdapterOptions, configDrivenEmulator } from './config-driven/config-driven-emulator.js';
import type { OpenApiSchemas } from './config-driven/record-synthesizer.js';
import { INVALID_VALUE } from './config-driven/write-body.js';
import type { Clock } from './emulator-clock.js';
import type { EmulatorControl, OAuthEmulatorControl, PlatformEmulator } from './emulator-control.js';
import { DEFAULT_SEEDED_RECORDS } from './emulator-options.js';
import type { EmulatedPlatform } from './platform-emulators.js';

/** What an adapter needs to talk to a sandbox: `registry.create(id, options)`. */
export interface SandboxAdapterOptions {
  credentials: Record<string, unknown>;
  connectionConfig: Record<string, string>;
  baseUrl: string;
  oauthClient?: { clientId: string; clientSecret?: string; tokenUrl: string };
}

export interface SandboxTarget {
  /** Platform id. */
  id: string;
  /** `hand-written` (written from the platform's docs) or `config-driven` (built from its config). */
  kind: 'hand-written' | 'config-driven';
  emulator: PlatformEmulator<EmulatorControl>;
  /** What an adapter needs, once the emulator listens on `origin`. */
  adapterOptions(origin: string): SandboxAdapterOptions;
  /** Seeded records, as the banner says it (`25 per collection`). */
  records: string;
  /** The rate limit, as the banner says it (`as documented`, `as configured, …`, `off`). */
  rateLimits: string;
  /** Further banner lines, `[label, text]`. */
  notes: ReadonlyArray<readonly [string, string]>;
}

/**
 * A hand-written emulator as the sandbox serves it.
 *
 * @example
 * const target = handWrittenTarget(EMULATED_PLATFORMS.stripe, { apiVersion: 'v1', rateLimit: true });
 */
export function handWrittenTarget(
  platform: EmulatedPlatform,
  setup: { records?: number | undefined; apiVersion: string; rateLimit: boolean; now?: Clock | undefined },
): SandboxTarget {
  const emulator = platform.create({
    records: setup.records,
    apiVersion: setup.apiVersion,
    rateLimit: setup.rateLimit,
    now: setup.now,
  });
  const control = emulator.control;
  const oauth = 'tokens' in control ? (control as OAuthEmulatorControl) : undefined;
  const lifetime = oauth?.tokens.lifetimeSeconds;
  return {
    id: platform.id,
    kind: 'hand-written',
    emulator,
    adapterOptions: (origin) => ({
      credentials: platform.credentials(control),
      connectionConfig: platform.connectionConfig,
      baseUrl: `${origin}${platform.basePath(setup.apiVersion)}`,
      ...(oauth
        ? {
            oauthClient: {
              clientId: oauth.tokens.clientId,
              clientSecret: oauth.tokens.clientSecret,
              tokenUrl: `${origin}${oauth.tokenPath}`,
            },
          }
        : {}),
    }),
    records: `${setup.records ?? DEFAULT_SEEDED_RECORDS} per collection`,
    rateLimits: setup.rateLimit ? 'as documented' : 'off',
    notes: oauth
      ? [
          [
            'tokens',
            `access tokens expire after ${lifetime === undefined ? 'never' : `${lifetime} s`}; refresh at the token URL`,
          ],
        ]
      : [],
  };
}

/**
 * The config-driven emulator for any platform in the config, with its trimmed OpenAPI description (read from `root`)
 * where the config names one, enforcing the config's rate limit unless `rateLimit` is `false`.
 *
 * @example
 * const target = configDrivenTarget(meta, { records: 10, root: process.cwd(), rateLimit: true });
 */
export function configDrivenTarget(
  meta: PlatformMeta,
  setup: {
    records?: number | undefined;
    root?: string | undefined;
    rateLimit?: boolean | undefined;
    now?: Clock | undefined;
  },
): SandboxTarget {
  const file = meta.openapi ? join(setup.root ?? process.cwd(), meta.openapi.file) : undefined;
  const openapi = file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as OpenApiSchemas) : undefined;
  const rateLimit = setup.rateLimit ?? true;
  const emulator = configDrivenEmulator(meta, {
    records: setup.records,
    openapi,
    now: setup.now,
    ...(rateLimit ? {} : { rateLimit }),
  });
  return {
    id: meta.id,
    kind: 'config-driven',
    emulator,
    adapterOptions: (origin) => configDrivenAdapterOptions(emulator.control, origin),
    records: `${setup.records ?? DEFAULT_SEEDED_RECORDS} per entity (${Object.keys(meta.entities).join(', ')}), built from the config only`,
    rateLimits: rateLimit ? `as configured, ${rateLimitSummary(meta.rateLimit).text}` : 'off',
    notes: [['writes', `as each entity's config allows; a field set to "${INVALID_VALUE}" is refused with 422`]],
  };
}
