/** The `oauth2` auth kind: access tokens from the authorization-code or client-credentials grant, renewed. */
import { z } from 'zod';
import { camelCase } from '../camel-case.js';
import type { CredentialField } from '../credential-fields.js';
import { extraCredentials, headerForm, urlTemplate } from '../schema-primitives.js';
import type { AuthKindDefinition, AuthTemplate } from './auth-kind.js';
import { OAuth2Auth } from './oauth2-auth.js';
import { resolveOAuthEndpoint } from './oauth2-token-client.js';

export const oauth2AuthSchema = z
  .object({
    kind: z.literal('oauth2'),
    grantType: z.enum(['authorization_code', 'client_credentials']).default('authorization_code'),
    authorizationUrl: urlTemplate.optional(),
    tokenUrl: urlTemplate,
    revocationUrl: urlTemplate.optional(),
    scopes: z.array(z.string().min(1)).default([]),
    scopeSeparator: z.string().min(1).default(' '),
    pkce: z.enum(['S256', 'none']).default('S256'),
    clientAuth: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_post'),
    /** Extra query parameters on the authorization URL (e.g. Google's `access_type=offline`). */
    authorizationParams: z.record(z.string(), z.string()).default({}),
    refresh: z
      .object({
        supported: z.boolean(),
        /** Whether a refresh answers with a new refresh token that replaces the old one. */
        rotatesRefreshToken: z.boolean().default(false),
        /** Lifetime of an access token when the token response omits `expires_in`, in seconds. */
        defaultExpiresInSeconds: z.number().int().positive().optional(),
        /** Refresh this long before expiry. */
        skewSeconds: z.number().int().nonnegative().default(60),
      })
      .strict(),
    header: headerForm.default({ name: 'Authorization', value: 'Bearer {accessToken}' }),
    /** Fields of the token response the connection must keep (e.g. Salesforce `instance_url`). */
    tokenResponseFields: z.array(z.string().min(1)).default([]),
    extraCredentials,
  })
  .strict();

/**
 * @example
 * oauth2Kind.credentialFields(salesforceMeta.auth).map((f) => f.name);
 * // ['accessToken', 'refreshToken', 'expiresAt', 'instanceUrl']
 */
export const oauth2Kind: AuthKindDefinition<typeof oauth2AuthSchema> = {
  schema: oauth2AuthSchema,
  credentialFields: (config) => {
    const fields: CredentialField[] = [
      { name: 'accessToken', type: 'string', required: true, description: 'OAuth2 access token.', secret: true },
      {
        name: 'refreshToken',
        type: 'string',
        required: false,
        description: config.refresh.supported ? 'OAuth2 refresh token.' : 'Not issued by this platform.',
        secret: true,
      },
      {
        name: 'expiresAt',
        type: 'number',
        required: false,
        description: 'Access-token expiry, epoch milliseconds.',
        secret: false,
      },
    ];
    for (const f of config.tokenResponseFields) {
      fields.push({
        name: camelCase(f),
        type: 'string',
        required: true,
        description: `\`${f}\` from the token response.`,
        secret: false,
      });
    }
    return fields;
  },
  create: (config, options) =>
    new OAuth2Auth({
      config,
      store: options.store,
      tokenUrl: () =>
        resolveOAuthEndpoint(options.meta, options.connectionConfig, 'tokenUrl', options.oauthClient) as string,
      client: options.oauthClient,
      onTokens: options.onTokens,
      tokenRefresh: options.tokenRefresh,
      fetch: options.fetch,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      now: options.now,
    }),
  signIn: (m, config) =>
    config.grantType === 'client_credentials'
      ? `${m.name} issues tokens to an app, not to a person (OAuth 2.0 client credentials): create an app in ${m.name} (see ${m.docsUrl}) and paste an access token it was issued.`
      : `Connect signs you in at ${m.name} and asks you to approve EnGarde's access (OAuth 2.0); no key is copied by hand.`,
  credentialTemplates: (config) => [{ path: ['header'], template: config.header.value }],
  urlTemplates: (config) => {
    const urls: AuthTemplate[] = [];
    for (const key of ['authorizationUrl', 'tokenUrl', 'revocationUrl'] as const) {
      const url = config[key];
      if (url) urls.push({ path: [key], template: url });
    }
    return urls;
  },
  issues: (config) =>
    config.grantType === 'authorization_code' && !config.authorizationUrl
      ? [{ path: ['authorizationUrl'], message: 'is required for the authorization_code grant' }]
      : [],
};
