/** The `bearer` auth kind: a static token in a header, by default `Authorization: Bearer {token}`. */
import { z } from 'zod';
import { extraCredentials, headerForm } from '../schema-primitives.js';
import type { AuthKindDefinition } from './auth-kind.js';
import { BearerAuth } from './bearer-auth.js';

export const bearerAuthSchema = z
  .object({
    kind: z.literal('bearer'),
    header: headerForm.default({ name: 'Authorization', value: 'Bearer {token}' }),
    extraCredentials,
  })
  .strict();

/**
 * @example
 * bearerKind.create(config, { meta, store, connectionConfig }); // a BearerAuth
 */
export const bearerKind: AuthKindDefinition<typeof bearerAuthSchema> = {
  schema: bearerAuthSchema,
  credentialFields: () => [
    { name: 'token', type: 'string', required: true, description: 'Bearer token.', secret: true },
  ],
  create: (config, { store }) => new BearerAuth(config, store),
  signIn: (m) => `Create an access token in ${m.name} (see ${m.docsUrl}) and paste it into the form.`,
  credentialTemplates: (config) => [{ path: ['header'], template: config.header.value }],
};
