/** The `aws_sigv4` auth kind: AWS Signature Version 4 (S3, DynamoDB, …). */
import { z } from 'zod';
import { extraCredentials } from '../schema-primitives.js';
import type { AuthKindDefinition } from './auth-kind.js';
import { AwsSigV4Auth } from './aws-sigv4-auth.js';

/** Credentials `accessKeyId`, `secretAccessKey`, optional `sessionToken`. */
export const awsSigV4AuthSchema = z
  .object({
    kind: z.literal('aws_sigv4'),
    /** Signing name of the service, e.g. `s3`, `dynamodb`. */
    service: z.string().regex(/^[a-z0-9-]+$/),
    /** Region: a literal such as `us-east-1`, or a connection variable such as `{region}`. */
    region: z.string().min(1),
    extraCredentials,
  })
  .strict();

/**
 * @example
 * awsSigV4Kind.create(meta.auth, { meta, store, connectionConfig, now }); // an AwsSigV4Auth
 */
export const awsSigV4Kind: AuthKindDefinition<typeof awsSigV4AuthSchema> = {
  schema: awsSigV4AuthSchema,
  credentialFields: () => [
    { name: 'accessKeyId', type: 'string', required: true, description: 'AWS access key id.', secret: true },
    { name: 'secretAccessKey', type: 'string', required: true, description: 'AWS secret access key.', secret: true },
    {
      name: 'sessionToken',
      type: 'string',
      required: false,
      description: 'Session token of temporary credentials.',
      secret: true,
    },
  ],
  create: (config, { store, now }) => new AwsSigV4Auth(config, store, now && (() => new Date(now()))),
  signIn: () => 'Create an IAM user or role with access to the service and paste its access key id and secret key.',
};
