import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../generator/config/load-config.js';
import { ConfigValidationError } from '../../generator/errors.js';
import { acmePlatform } from './fixtures/fixture-root.js';

const FILE = 'configs/platform_configs_extended.json';

// biome-ignore lint/suspicious/noExplicitAny: each case reaches into the entry to break one field
type Entry = Record<string, any>;

/** Validates one broken copy of the fixture platform and returns the printed problem lines. */
function problems(mutate: (p: Entry) => void): string[] {
  const entry = acmePlatform() as Entry;
  mutate(entry);
  try {
    validateConfig({ platforms: [entry] }, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect((error as ConfigValidationError).exitCode).toBe(2);
    return (error as Error).message.split('\n');
  }
  return [];
}

const at = (pointer: string, message: string) => `${FILE}: acme-crm ${pointer}: ${message}`;

const cases: Array<[string, { given: (p: Entry) => void; want: string[] }]> = [
  [
    'an id that is not kebab-case',
    {
      given: (p) => (p.id = 'Acme_CRM'),
      want: [`${FILE}: Acme_CRM /id: must be lowercase kebab-case, e.g. "google-ads"`],
    },
  ],
  [
    'an unknown category',
    {
      given: (p) => (p.category = 'crm-tools'),
      want: [
        at(
          '/category',
          '"crm-tools" is not one of "payments", "pos", "advertising", "analytics", "crm", "communication", "ecommerce", "marketing", "workflow", "social_media", "accounting", "project_management", "data_storage", "developer_tools", "hr_recruiting", "shipping_logistics"',
        ),
      ],
    },
  ],
  ['a missing name', { given: (p) => delete p.name, want: [at('/name', 'is required (string)')] }],
  [
    'a docs URL that is not https',
    { given: (p) => (p.docsUrl = 'http://acme.test'), want: [at('/docsUrl', 'must be an https:// URL')] },
  ],
  [
    'a base URL placeholder with no connection variable',
    {
      given: (p) => (p.baseUrl = 'https://{region}.acme.test/api'),
      want: [at('/baseUrl', 'uses {region}, which is not a connectionConfig variable or apiVersion')],
    },
  ],
  [
    'a host variable whose pattern lets a value redirect the request',
    {
      given: (p) => (p.connectionConfig.tenant.pattern = '^.+$'),
      want: [
        at(
          '/connectionConfig/tenant/pattern',
          'is used in a host but accepts "evil.com#", "x@evil.com", "evil.com/", "evil.com?", "evil.com:443", "a b", which could send requests to another host',
        ),
      ],
    },
  ],
  [
    'an unanchored pattern',
    {
      given: (p) => (p.connectionConfig.tenant.pattern = '[a-z]+'),
      want: [at('/connectionConfig/tenant/pattern', 'must be anchored with ^ and $')],
    },
  ],
  [
    'an unknown auth kind',
    {
      given: (p) => (p.auth = { kind: 'magic' }),
      want: [at('/auth/kind', '"magic" is not one of the allowed values')],
    },
  ],
  [
    'an auth header template naming no credential',
    {
      given: (p) => (p.auth.value = 'Token {secret}'),
      want: [at('/auth/value', 'uses {secret}, which is not a credential field')],
    },
  ],
  [
    'an unknown field, with its exact place',
    {
      given: (p) => (p.entities.contacts.cursor = 'x'),
      want: [at('/entities/contacts/cursor', 'is not a known field')],
    },
  ],
  [
    'an entity without a record type',
    {
      given: (p) => delete p.entities.companies.fields,
      want: [at('/entities/companies', 'needs a record type: "openapiSchema" or "fields"')],
    },
  ],
  [
    'a rate limit without its numbers',
    {
      given: (p) => delete p.rateLimit.requests,
      want: [at('/rateLimit/requests', 'is required (number)')],
    },
  ],
  [
    'cursor pagination that does not say where the cursor is',
    {
      given: (p) => delete p.pagination.nextCursorPath,
      want: [at('/pagination/nextCursorPath', 'is required when cursorFrom is "response"')],
    },
  ],
  [
    'an unknown write operation',
    {
      given: (p) => (p.entities.contacts.write = ['create', 'upsert']),
      want: [at('/entities/contacts/write/1', '"upsert" is not one of "create", "update", "delete"')],
    },
  ],
  [
    'an incremental read without a reason when it is none',
    {
      given: (p) => delete p.entities.companies.incremental.reason,
      want: [at('/entities/companies/incremental/reason', 'is required (string)')],
    },
  ],
  [
    'an id field that is not a declared field',
    {
      given: (p) => (p.entities.companies.idField = 'uuid'),
      want: [at('/entities/companies/idField', '"uuid" is not among the declared fields')],
    },
  ],
  [
    'an OpenAPI schema on a platform with no OpenAPI source',
    {
      given: (p) => (p.entities.companies.openapiSchema = 'company'),
      want: [at('/entities/companies/openapiSchema', 'needs the platform\'s "openapi" source')],
    },
  ],
  [
    'a field type outside the grammar',
    {
      given: (p) => (p.entities.companies.fields.name = 'text'),
      want: [
        at(
          '/entities/companies/fields/name',
          'must be a field type such as "string", "number|null", "string[]" or "object?"',
        ),
      ],
    },
  ],
  [
    'a mapping to a field the standard entity does not have',
    {
      given: (p) => (p.entities.contacts.mapping = { emial: 'email' }),
      want: [
        at(
          '/entities/contacts/mapping/emial',
          'is not a field of the standard Contact (fields: id, createdAt, updatedAt, email, name, firstName, lastName, phone, companyName, companyId)',
        ),
      ],
    },
  ],
  [
    'a conversion that does not fit the field',
    {
      given: (p) => (p.entities.contacts.mapping = { email: { path: 'email', as: 'unix-seconds' } }),
      want: [at('/entities/contacts/mapping/email/as', '"unix-seconds" does not apply to a string field')],
    },
  ],
  ...webhookCases(),
];

/** A platform subscribing to webhooks through its API, for the registration rules below. */
function withApiWebhooks(p: Entry, registration: Record<string, unknown>, extra: Record<string, unknown> = {}): void {
  (p as unknown as { webhooks: unknown }).webhooks = {
    scheme: 'hmac-body',
    algorithm: 'sha256',
    encoding: 'hex',
    signatureHeader: 'X-Acme-Signature',
    docsUrl: 'https://acme.example/docs/webhooks',
    registration: {
      kind: 'api',
      method: 'POST',
      path: '/hooks',
      body: { url: '{endpointUrl}', events: '{events}' },
      idPath: 'id',
      itemPath: '/hooks/{webhookId}',
      secret: { from: 'response', path: 'secret' },
      docsUrl: 'https://acme.example/docs/hooks',
      ...registration,
    },
    ...extra,
  };
}

function webhookCases(): Array<[string, { given: (p: Entry) => void; want: string[] }]> {
  return [
    [
      'a registration body without {endpointUrl}',
      {
        given: (p) => withApiWebhooks(p, { body: { events: '{events}' } }),
        want: [at('/webhooks/registration/body', 'must contain {endpointUrl}')],
      },
    ],
    [
      'a generated secret the body never sends',
      {
        given: (p) => withApiWebhooks(p, { secret: { from: 'generated' } }),
        want: [
          at(
            '/webhooks/registration/body',
            'must contain {secret}: the secret source is "generated", so EnGarde sends the secret it chose',
          ),
        ],
      },
    ],
    [
      'a body variable that is not a connection variable',
      {
        given: (p) => withApiWebhooks(p, { body: { url: '{endpointUrl}', board: '{boardId}' } }),
        want: [
          at(
            '/webhooks/registration/body',
            'uses {boardId}, which is neither a connectionConfig variable nor one of {endpointUrl}, {events}, {event}, {secret}',
          ),
        ],
      },
    ],
    [
      'one subscription per event whose answers each carry a secret',
      {
        given: (p) => withApiWebhooks(p, { perEvent: true, body: { url: '{endpointUrl}', topic: '{event}' } }),
        want: [
          at(
            '/webhooks/registration/secret',
            'cannot be "response" with perEvent: each subscription would answer with its own secret',
          ),
        ],
      },
    ],
    [
      'neither idPath nor idHeader',
      {
        given: (p) => withApiWebhooks(p, { idPath: undefined }),
        want: [
          at(
            '/webhooks/registration/idPath',
            'exactly one of idPath and idHeader must say where the subscription id is',
          ),
        ],
      },
    ],
    [
      'an event mapped to an entity the platform lacks',
      {
        given: (p) => withApiWebhooks(p, {}, { records: { 'deal.updated': { entity: 'deals', action: 'upsert' } } }),
        want: [
          at(
            '/webhooks/records/deal.updated/entity',
            'names no entity of this platform (entities: contacts, companies)',
          ),
        ],
      },
    ],
    [
      'a sender range that is not an address range',
      {
        given: (p) =>
          withApiWebhooks(p, {}, { sourceIps: { ranges: ['10.0.0.0/33'], source: 'https://acme.example/ips' } }),
        want: [at('/webhooks/sourceIps/ranges/0', 'must be an IPv4 or IPv6 address or CIDR range')],
      },
    ],
  ];
}

describe('config validation', () => {
  it.each(cases)('reports %s by platform and JSON pointer', (_name, { given, want }) => {
    expect(problems(given)).toEqual(want);
  });

  it('reports every problem of every platform at once, in file order', () => {
    const a = acmePlatform() as Entry;
    a.name = '';
    a.rateLimit.notes = '';
    const b = { ...(acmePlatform() as Entry), id: 'beta', name: 'Beta', category: 'nope' };
    let message = '';
    try {
      validateConfig({ platforms: [a, b] }, FILE);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split('\n').map((l) => l.split(': ').slice(1, 2)[0])).toEqual([
      'acme-crm /name',
      'acme-crm /rateLimit/notes',
      'beta /category',
    ]);
  });

  it('rejects two platforms with the same id', () => {
    expect(() => validateConfig({ platforms: [acmePlatform(), acmePlatform()] }, FILE)).toThrow(
      `${FILE}: acme-crm /id: duplicates the id of platform #0`,
    );
  });

  it('accepts the fixture platform and fills in defaults', () => {
    const { platforms } = validateConfig({ platforms: [acmePlatform()] }, FILE);
    expect(platforms[0]?.retry.maxAttempts).toBe(3);
    expect(platforms[0]?.entities.contacts?.method).toBe('GET');
  });
});
