/**
 * A platform's setup guide, generated from its config: what each credential and connection setting is and where it
 * comes from, which OAuth scopes to grant, how its webhooks are set up (by EnGarde through the API, or by hand in the
 * platform, with the steps), and what its errors mean and what to do about them. Shown on the marketplace page.
 */
import type { PlatformMeta } from '../runtime/adapter-types.js';
import { authKindOf } from '../runtime/auth/auth-kinds.js';
import { credentialFieldsOf } from '../runtime/credential-fields.js';

export interface SetupGuide {
  /** How the connection is authorised, in a sentence. */
  sign_in: string;
  credentials: Array<{ field: string; required: boolean; what: string }>;
  connection_settings: Array<{ field: string; required: boolean; what: string; example: string }>;
  scopes: string[];
  webhooks: { setup: 'automatic' | 'in-platform' | 'unavailable'; steps: string };
  errors: Array<{ error: string; meaning: string; action: string }>;
}

function webhookSetup(meta: PlatformMeta): SetupGuide['webhooks'] {
  const webhooks = meta.webhooks;
  if (webhooks.scheme === 'none') return { setup: 'unavailable', steps: webhooks.reason };
  const registration = webhooks.registration;
  if (registration.kind === 'dashboard') return { setup: 'in-platform', steps: registration.instructions };
  const secret = {
    response: `${meta.name} returns the signing secret, which EnGarde keeps.`,
    generated: `EnGarde chooses the signing secret and sends it to ${meta.name}.`,
    'client-secret': `${meta.name} signs with the OAuth app's client secret, which the deployment configures.`,
    handshake: `${meta.name} hands the signing secret over in a handshake, which EnGarde answers.`,
    user: registration.secret.from === 'user' ? registration.secret.instructions : '',
  }[registration.secret.from];
  return {
    setup: 'automatic',
    steps: `Register webhooks for a connection and EnGarde subscribes through ${meta.name}'s API (${registration.docsUrl}). ${secret}`,
  };
}

function errors(meta: PlatformMeta): SetupGuide['errors'] {
  const oauth = meta.auth.kind === 'oauth2';
  const codes = meta.errorBody?.codes;
  const also = (list: readonly string[] | undefined) =>
    list?.length ? ` (${meta.name} codes: ${list.join(', ')})` : '';
  return [
    {
      error: `401 Unauthorized${also(codes?.authentication)}`,
      meaning: `${meta.name} refused the credentials: wrong, expired or revoked.`,
      action: oauth
        ? 'Connect again to approve access anew; EnGarde refreshes tokens by itself, so this means the grant was revoked.'
        : 'Create a new credential in the platform and connect again with it.',
    },
    {
      error: `403 Forbidden${also(codes?.permission)}`,
      meaning: 'The credentials work but may not do this: a missing scope, role or plan feature.',
      action: oauth
        ? `Reconnect and approve every scope asked for${meta.auth.kind === 'oauth2' && meta.auth.scopes.length ? ` (${meta.auth.scopes.join(', ')})` : ''}.`
        : `Give the key or user the permissions for the data you sync, in ${meta.name}'s settings.`,
    },
    {
      error: `404 Not Found${also(codes?.notFound)}`,
      meaning: 'The record, or the account the connection points at, does not exist.',
      action: Object.keys(meta.connectionConfig).length
        ? `Check the connection settings (${Object.keys(meta.connectionConfig).join(', ')}).`
        : 'Check that the record still exists in the platform.',
    },
    {
      error: `429 Too Many Requests${also(codes?.rateLimited)}`,
      meaning: `${meta.name}'s rate limit was reached.`,
      action:
        'Nothing: EnGarde paces requests to the limit and retries after the wait the platform asks for. Fewer syncs a day lower the pressure.',
    },
    {
      error: '5xx or no answer',
      meaning: `${meta.name} failed or could not be reached.`,
      action:
        'Nothing at first: EnGarde retries with backoff, and a failing connection raises an alert after 3 failed checks.',
    },
  ];
}

export function setupGuide(meta: PlatformMeta): SetupGuide {
  return {
    sign_in: authKindOf(meta.auth).signIn(meta, meta.auth),
    credentials:
      meta.auth.kind === 'oauth2'
        ? []
        : credentialFieldsOf(meta.auth).map((f) => ({ field: f.name, required: f.required, what: f.description })),
    connection_settings: Object.keys(meta.connectionConfig)
      .sort()
      .map((name) => {
        const v = meta.connectionConfig[name] as PlatformMeta['connectionConfig'][string];
        return { field: name, required: v.default === undefined, what: v.description, example: v.example };
      }),
    scopes: meta.auth.kind === 'oauth2' ? [...meta.auth.scopes] : [],
    webhooks: webhookSetup(meta),
    errors: errors(meta),
  };
}
