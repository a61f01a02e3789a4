/** The `azure_shared_key` auth kind: Azure Storage Shared Key. */
import { z } from 'zod';
import { extraCredentials } from '../schema-primitives.js';
import type { AuthKindDefinition } from './auth-kind.js';
import { AzureSharedKeyAuth } from './azure-shared-key-auth.js';

/** HMAC-SHA256 of the canonical request (credentials `accountName`, `accountKey`). */
export const azureSharedKeyAuthSchema = z
  .object({
    kind: z.literal('azure_shared_key'),
    extraCredentials,
  })
  .strict();

/**
 * @example
 * azureSharedKeyKind.create(meta.auth, { meta, store, connectionConfig }); // an AzureSharedKeyAuth
 */
export const azureSharedKeyKind: AuthKindDefinition<typeof azureSharedKeyAuthSchema> = {
  schema: azureSharedKeyAuthSchema,
  credentialFields: () => [
    { name: 'accountName', type: 'string', required: true, description: 'Storage account name.', secret: true },
    { name: 'accountKey', type: 'string', required: true, description: 'Storage account key (base64).', secret: true },
  ],
  create: (config, { store, now }) => new AzureSharedKeyAuth(config, store, now && (() => new Date(now()))),
  signIn: () => "Copy the storage account's name and one of its access keys from the Azure portal (Access keys).",
};
