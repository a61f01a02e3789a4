/**
 * The credential fields each auth kind takes, by the names the adapters use (`apiKey`, `accessToken`, a basic
 * `usernameField`…), with the platform's `extraCredentials`. One definition for the generated `…Credentials` types
 * and for the service, which validates connect requests and publishes `credentials_schema` from it.
 */
import { type AuthConfig, camelCase } from './platform-schema.js';

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
  const fields: Array<Omit<CredentialField, 'secret'>> = [];
  const notSecret = new Set<string>(['expiresAt']);
  switch (auth.kind) {
    case 'oauth2':
      fields.push({ name: 'accessToken', type: 'string', required: true, description: 'OAuth2 access token.' });
      fields.push({
        name: 'refreshToken',
        type: 'string',
        required: false,
        description: auth.refresh.supported ? 'OAuth2 refresh token.' : 'Not issued by this platform.',
      });
      fields.push({
        name: 'expiresAt',
        type: 'number',
        required: false,
        description: 'Access-token expiry, epoch milliseconds.',
      });
      for (const f of auth.tokenResponseFields) {
        notSecret.add(camelCase(f));
        fields.push({
          name: camelCase(f),
          type: 'string',
          required: true,
          description: `\`${f}\` from the token response.`,
        });
      }
      break;
    case 'api_key':
      fields.push({ name: 'apiKey', type: 'string', required: true, description: 'API key.' });
      break;
    case 'bearer':
      fields.push({ name: 'token', type: 'string', required: true, description: 'Bearer token.' });
      break;
    case 'basic':
      fields.push({ name: auth.usernameField, type: 'string', required: true, description: 'Basic-auth user name.' });
      if (auth.passwordField) {
        fields.push({ name: auth.passwordField, type: 'string', required: false, description: 'Basic-auth password.' });
      }
      break;
    case 'aws_sigv4':
      fields.push({ name: 'accessKeyId', type: 'string', required: true, description: 'AWS access key id.' });
      fields.push({ name: 'secretAccessKey', type: 'string', required: true, description: 'AWS secret access key.' });
      fields.push({
        name: 'sessionToken',
        type: 'string',
        required: false,
        description: 'Session token of temporary credentials.',
      });
      break;
    case 'google_service_account':
      fields.push({
        name: 'clientEmail',
        type: 'string',
        required: true,
        description: 'Service account e-mail (`client_email`).',
      });
      fields.push({
        name: 'privateKey',
        type: 'string',
        required: true,
        description: 'PEM private key (`private_key`).',
      });
      fields.push({
        name: 'subject',
        type: 'string',
        required: false,
        description: 'User to impersonate (domain-wide delegation).',
      });
      break;
    case 'azure_shared_key':
      fields.push({ name: 'accountName', type: 'string', required: true, description: 'Storage account name.' });
      fields.push({ name: 'accountKey', type: 'string', required: true, description: 'Storage account key (base64).' });
      break;
  }
  for (const [key, c] of Object.entries(auth.extraCredentials).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (c.secret === false) notSecret.add(key);
    fields.push({ name: key, type: 'string', required: !c.optional, description: c.description });
  }
  return fields.map((f) => ({ ...f, secret: !notSecret.has(f.name) }));
}
