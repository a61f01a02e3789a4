/**
 * The small interface every auth kind implements, in one module per kind (`api-key-kind.ts`, `oauth2-kind.ts`, …):
 * its config schema, the credential fields it takes, the strategy it signs requests with, and what the platform
 * schema checks about its templates. `auth-kinds.ts` registers them; nothing else switches on `auth.kind`.
 */
import type { z } from 'zod';
import type { OAuthClient, PlatformMeta } from '../adapter-types.js';
import type { CredentialField } from '../credential-fields.js';
import type { AuthStrategy } from './auth-strategy.js';
import type { CredentialStore } from './credential-store.js';
import type { OAuth2AuthOptions } from './oauth2-auth.js';

/**
 * What `createAuthStrategy` takes: the platform, its credentials, and for OAuth2 only the token hooks and transport
 * of `OAuth2AuthOptions` (documented there), which the other kinds ignore.
 */
export interface CreateAuthOptions
  extends Pick<OAuth2AuthOptions, 'onTokens' | 'tokenRefresh' | 'fetch' | 'timeoutMs' | 'logger' | 'now'> {
  meta: PlatformMeta;
  store: CredentialStore;
  connectionConfig: Readonly<Record<string, unknown>> | undefined;
  /** OAuth2 only: the client used to renew tokens (its `tokenUrl` replaces the platform's). */
  oauthClient?: OAuthClient | undefined;
  /**
   * @deprecated Ignored: token requests go through oauth4webapi (use `fetch` to route them). Kept only so callers
   *   written for the earlier form-posting transport still compile; remove it from calls.
   */
  postToken?: LegacyTokenEndpoint | undefined;
}

/** @deprecated The earlier token transport's shape; see `CreateAuthOptions.postToken`. */
export type LegacyTokenEndpoint = (request: {
  url: string;
  form: Record<string, string>;
  headers: Record<string, string>;
  signal?: AbortSignal | undefined;
}) => Promise<unknown>;

/** The schema of one auth kind's config: an object with its `kind` literal and `extraCredentials`. */
export type AuthKindSchema = z.ZodType<{
  kind: string;
  extraCredentials: Record<string, { description: string; secret: boolean; optional: boolean }>;
}>;

/** A template in the auth config and where it is, relative to `auth`. */
export interface AuthTemplate {
  path: readonly string[];
  template: string;
}

/** A cross-field rule an auth config breaks, at a path relative to `auth`. */
export interface AuthConfigIssue {
  path: readonly string[];
  message: string;
}

/** The platform as a sign-in hint names it. */
export interface SignInPlatform {
  name: string;
  docsUrl: string;
}

export interface AuthKindDefinition<S extends AuthKindSchema> {
  /** The config schema; `platform-schema.ts` builds the `auth` union from every kind's. */
  readonly schema: S;
  /**
   * The credential fields the kind itself takes (optional ones included), before `extraCredentials`: what a user
   * gives, never what the strategy obtains (a service account's exchanged access token is not one).
   */
  credentialFields(config: z.output<S>): CredentialField[];
  /** The strategy that authenticates requests. */
  create(config: z.output<S>, options: CreateAuthOptions): AuthStrategy;
  /** How a connection is authorised, in a sentence, for the setup guide. */
  signIn(platform: SignInPlatform, config: z.output<S>): string;
  /** Templates that may use credential fields only (checked by the platform schema). */
  credentialTemplates?(config: z.output<S>): AuthTemplate[];
  /** URL templates that may use connection variables only (checked by the platform schema). */
  urlTemplates?(config: z.output<S>): AuthTemplate[];
  /** Cross-field rules the shape alone cannot say. */
  issues?(config: z.output<S>): AuthConfigIssue[];
}
