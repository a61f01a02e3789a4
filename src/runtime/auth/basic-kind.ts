/** The `basic` auth kind: HTTP Basic from a user-name field and an optional password field (or templates). */
import { z } from 'zod';
import type { CredentialField } from '../credential-fields.js';
import { extraCredentials, NAME_PATTERN } from '../schema-primitives.js';
import type { AuthKindDefinition } from './auth-kind.js';
import { BasicAuth } from './basic-auth.js';

export const basicAuthSchema = z
  .object({
    kind: z.literal('basic'),
    /** What the platform puts in the user-name and password halves, e.g. Stripe's key as user name. */
    usernameField: z.string().regex(NAME_PATTERN).default('username'),
    passwordField: z.string().regex(NAME_PATTERN).optional(),
    /** The user-name half when it is not a credential as is, e.g. Zendesk's `{email}/token`. */
    usernameTemplate: z.string().min(1).optional(),
    /** The password half when it is not a credential as is. */
    passwordTemplate: z.string().optional(),
    extraCredentials,
  })
  .strict();

/**
 * @example
 * basicKind.credentialFields({ kind: 'basic', usernameField: 'apiKey', extraCredentials: {} }); // [{ name: 'apiKey', … }]
 */
export const basicKind: AuthKindDefinition<typeof basicAuthSchema> = {
  schema: basicAuthSchema,
  credentialFields: (config) => {
    const fields: CredentialField[] = [
      {
        name: config.usernameField,
        type: 'string',
        required: true,
        description: 'Basic-auth user name.',
        secret: true,
      },
    ];
    if (config.passwordField) {
      fields.push({
        name: config.passwordField,
        type: 'string',
        required: false,
        description: 'Basic-auth password.',
        secret: true,
      });
    }
    return fields;
  },
  create: (config, { store }) => new BasicAuth(config, store),
  signIn: (m) => `Enter the user name and password (or API token) ${m.name} issues for API access (see ${m.docsUrl}).`,
};
