/** Every auth kind, by its `kind`: the one place a new kind is registered (its module holds the rest). */
import type { z } from 'zod';
import type { AuthConfig } from '../platform-schema.js';
import { apiKeyKind } from './api-key-kind.js';
import type { AuthKindDefinition, AuthKindSchema } from './auth-kind.js';
import { awsSigV4Kind } from './aws-sigv4-kind.js';
import { azureSharedKeyKind } from './azure-shared-key-kind.js';
import { basicKind } from './basic-kind.js';
import { bearerKind } from './bearer-kind.js';
import { googleServiceAccountKind } from './google-service-account-kind.js';
import { oauth2Kind } from './oauth2-kind.js';

/**
 * In the order the config schema lists them. The mapped type makes a key that is not its schema's `kind` literal
 * a compile error; tables elsewhere keyed by `AuthKind` (the sandbox's) fail to compile until a new kind is in them.
 */
export const AUTH_KINDS = {
  oauth2: oauth2Kind,
  api_key: apiKeyKind,
  bearer: bearerKind,
  basic: basicKind,
  aws_sigv4: awsSigV4Kind,
  google_service_account: googleServiceAccountKind,
  azure_shared_key: azureSharedKeyKind,
} as const;

export type AuthKind = keyof typeof AUTH_KINDS;

/** Each entry is a definition whose schema parses the `kind` it is filed under (a misspelt key fails here). */
type KindTable<T> = { readonly [K in keyof T]: AuthKindDefinition<AuthKindSchema & z.ZodType<{ kind: K }>> };

type Checked<T extends KindTable<T>> = T;

/** {@link AUTH_KINDS}, checked against {@link KindTable} at compile time. */
export type AuthKindTable = Checked<typeof AUTH_KINDS>;

/** The config of one auth kind, from its own schema. */
export type AuthConfigOf<K extends AuthKind> = z.output<(typeof AUTH_KINDS)[K]['schema']>;

/** The auth kinds' names, in table order. */
export const AUTH_KIND_NAMES = Object.keys(AUTH_KINDS) as AuthKind[];

type AnyAuthKindSchema = (typeof AUTH_KINDS)[AuthKind]['schema'];

/** Every kind's config schema, in table order: the options of the platform schema's `auth` union. */
export const AUTH_KIND_SCHEMAS = AUTH_KIND_NAMES.map((kind) => AUTH_KINDS[kind].schema) as [
  AnyAuthKindSchema,
  ...AnyAuthKindSchema[],
];

/**
 * The definition of a config's kind. (The one cast of the dispatch: the definition is picked by the config's own
 * `kind`, so its methods take that config.)
 *
 * @example
 * authKindOf(meta.auth).credentialFields(meta.auth);
 */
export function authKindOf(config: AuthConfig): AuthKindDefinition<z.ZodType<AuthConfig>> {
  return AUTH_KINDS[config.kind] as unknown as AuthKindDefinition<z.ZodType<AuthConfig>>;
}
