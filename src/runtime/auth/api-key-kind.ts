/** The `api_key` auth kind: a key in a header or a query parameter, from a value template. */
import { z } from 'zod';
import { extraCredentials } from '../schema-primitives.js';
import { ApiKeyAuth } from './api-key-auth.js';
import type { AuthKindDefinition } from './auth-kind.js';

export const apiKeyAuthSchema = z
  .object({
    kind: z.literal('api_key'),
    in: z.enum(['header', 'query']),
    /** Header or query parameter name. */
    name: z.string().min(1),
    /** Template over credential fields, e.g. `Bearer {apiKey}`. */
    value: z.string().min(1).default('{apiKey}'),
    extraCredentials,
  })
  .strict();

/**
 * @example
 * apiKeyKind.credentialFields(config); // [{ name: 'apiKey', type: 'string', required: true, … }]
 */
export const apiKeyKind: AuthKindDefinition<typeof apiKeyAuthSchema> = {
  schema: apiKeyAuthSchema,
  credentialFields: () => [{ name: 'apiKey', type: 'string', required: true, description: 'API key.', secret: true }],
  create: (config, { store }) => new ApiKeyAuth(config, store),
  signIn: (m) => `Create an API key in ${m.name}'s settings (see ${m.docsUrl}) and paste it into the form.`,
  credentialTemplates: (config) => [{ path: ['value'], template: config.value }],
};
