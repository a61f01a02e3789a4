/**
 * The credential fields each auth kind takes, by the names the adapters use (`apiKey`, `accessToken`, a basic
 * `usernameField`…), with the platform's `extraCredentials`. One definition, the kind's (`auth/<kind>-kind.ts`), for
 * the platform schema's template checks, the generated `…Credentials` types and the service, which validates
 * connect requests and publishes `credentials_schema` from it.
 */
import { authKindOf } from './auth/auth-kinds.js';
import type { AuthConfig } from './platform-schema.js';

export interface CredentialField {
  name: string;
  type: 'string' | 'number';
  required: boolean;
  description: string;
  /** `false` for values that are not secrets (an OAuth token response's `instance_url`, an account name). */
  secret: boolean;
}

/**
 * @example
 * credentialFieldsOf({ kind: 'api_key', ... }); // [{ name: 'apiKey', type: 'string', required: true, … }]
 */
export function credentialFieldsOf(auth: AuthConfig): CredentialField[] {
  const fields = authKindOf(auth).credentialFields(auth);
  for (const [key, c] of Object.entries(auth.extraCredentials).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    fields.push({ name: key, type: 'string', required: !c.optional, description: c.description, secret: c.secret });
  }
  return fields;
}
