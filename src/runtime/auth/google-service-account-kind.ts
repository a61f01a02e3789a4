/**
 * The `google_service_account` auth kind: a self-signed JWT exchanged for an access token. The user gives the
 * service account's `clientEmail` and `privateKey` (and a `subject` to impersonate); the access token and its
 * expiry are obtained by the strategy and kept in memory, so they are not credential fields.
 */
import { z } from 'zod';
import { extraCredentials, headerForm, urlTemplate } from '../schema-primitives.js';
import type { AuthKindDefinition } from './auth-kind.js';
import { GoogleServiceAccountAuth } from './google-service-account-auth.js';

export const googleServiceAccountAuthSchema = z
  .object({
    kind: z.literal('google_service_account'),
    tokenUrl: urlTemplate.default('https://oauth2.googleapis.com/token'),
    scopes: z.array(z.string().min(1)).min(1),
    header: headerForm.default({ name: 'Authorization', value: 'Bearer {accessToken}' }),
    extraCredentials,
  })
  .strict();

/**
 * @example
 * googleServiceAccountKind.credentialFields(bigqueryMeta.auth).map((f) => f.name); // ['clientEmail', 'privateKey', 'subject']
 */
export const googleServiceAccountKind: AuthKindDefinition<typeof googleServiceAccountAuthSchema> = {
  schema: googleServiceAccountAuthSchema,
  credentialFields: () => [
    {
      name: 'clientEmail',
      type: 'string',
      required: true,
      description: 'Service account e-mail (`client_email`).',
      secret: true,
    },
    {
      name: 'privateKey',
      type: 'string',
      required: true,
      description: 'PEM private key (`private_key`).',
      secret: true,
    },
    {
      name: 'subject',
      type: 'string',
      required: false,
      description: 'User to impersonate (domain-wide delegation).',
      secret: true,
    },
  ],
  create: (config, options) =>
    new GoogleServiceAccountAuth({
      config,
      store: options.store,
      // A deployment (or a test) may point the token exchange elsewhere, as for OAuth2 clients.
      tokenUrl: options.oauthClient?.tokenUrl ?? config.tokenUrl,
      fetch: options.fetch as typeof globalThis.fetch | undefined,
      now: options.now,
    }),
  signIn: (m) =>
    `Create a Google Cloud service account with access to ${m.name}, download its JSON key, and paste its client_email and private_key.`,
};
