import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  deriveBasePath,
  importOpenApi,
  type PlatformEndpointsLike,
  parseDescription,
  type SelectionOptions,
  selectionFromPlatform,
} from '../../../generator/openapi/import-openapi.js';
import type { OpenApiSelection } from '../../../generator/openapi/trim-openapi.js';

describe('selectionFromPlatform', () => {
  const op = (method: string, path: string) => ({ method, path });
  const cases: [string, { given: [PlatformEndpointsLike, SelectionOptions?]; want: OpenApiSelection }][] = [
    [
      'read-only entity: list and get with defaults',
      {
        given: [{ entities: { orders: { path: '/orders', openapiSchema: 'order' } } }],
        want: { operations: [op('GET', '/orders'), op('GET', '/orders/{id}')], schemas: ['order'] },
      },
    ],
    [
      'Stripe-style: base path, POST updates, delete',
      {
        given: [
          {
            entities: {
              customers: {
                path: '/customers',
                write: ['create', 'update', 'delete'],
                updateMethod: 'POST',
                openapiSchema: 'customer',
              },
            },
          },
          { basePath: 'v1/' },
        ],
        want: {
          operations: [
            op('GET', '/v1/customers'),
            op('POST', '/v1/customers'),
            op('DELETE', '/v1/customers/{id}'),
            op('GET', '/v1/customers/{id}'),
            op('POST', '/v1/customers/{id}'),
          ],
          schemas: ['customer'],
        },
      },
    ],
    [
      'custom list method and itemPath, PATCH update by default, fields-only entity adds no schema',
      {
        given: [
          {
            entities: {
              deals: { path: '/deals/search', method: 'post', itemPath: '/deals/{id}', write: ['update'] },
              contacts: { path: '/contacts', openapiSchema: 'contact' },
            },
          },
        ],
        want: {
          operations: [
            op('GET', '/contacts'),
            op('GET', '/contacts/{id}'),
            op('POST', '/deals/search'),
            op('GET', '/deals/{id}'),
            op('PATCH', '/deals/{id}'),
          ],
          schemas: ['contact'],
        },
      },
    ],
  ];
  test.each(cases)('%s', (_name, { given, want }) => {
    expect(selectionFromPlatform(...given)).toEqual(want);
  });
});

describe('deriveBasePath', () => {
  const cases: [string, { given: [string, unknown]; want: string | undefined }][] = [
    [
      'Stripe: server at the root',
      { given: ['https://api.stripe.com/v1', { servers: [{ url: 'https://api.stripe.com/' }] }], want: '/v1' },
    ],
    [
      'server already has the prefix',
      { given: ['https://api.example.com/v2', { servers: [{ url: 'https://api.example.com/v2' }] }], want: '' },
    ],
    [
      'templates match by position',
      {
        given: [
          'https://{shop}.example.com/admin/api/2025-07',
          { servers: [{ url: 'https://{store}.example.com/admin/api/{version}' }] },
        ],
        want: '',
      },
    ],
    ['no servers means /', { given: ['https://api.example.com/api', {}], want: '/api' }],
    [
      'template base segment against a template server segment',
      {
        given: [
          'https://{shop}.example.com/admin/{apiVersion}/x',
          { servers: [{ url: 'https://{s}.example.com/admin/{v}' }] },
        ],
        want: '/x',
      },
    ],
    [
      'server path not a prefix',
      { given: ['https://api.example.com/v1', { servers: [{ url: '/rest/v3' }] }], want: undefined },
    ],
  ];
  test.each(cases)('%s', (_name, { given, want }) => {
    expect(deriveBasePath(...given)).toBe(want);
  });
});

describe('importOpenApi', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'engarde-import-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('reads, trims and writes the description deterministically', async () => {
    const specFile = join(dir, 'spec.json');
    await writeFile(
      specFile,
      JSON.stringify({
        openapi: '3.0.0',
        info: { title: 'T', version: '7' },
        paths: {
          '/v1/things/{thing}': {
            get: {
              responses: {
                '200': {
                  description: 'OK',
                  content: { 'application/json': { schema: { $ref: '#/components/schemas/thing' } } },
                },
              },
            },
          },
          '/v1/things': { get: { responses: { '200': { description: 'OK' } } } },
          '/v1/other': { get: { responses: { '200': { description: 'OK' } } } },
        },
        components: {
          schemas: { thing: { type: 'object', properties: { id: { type: 'string' } } }, unused: { type: 'string' } },
        },
      }),
    );
    const outFile = join(dir, 'out', 'things.json');
    const result = await importOpenApi({
      id: 'things',
      specFile,
      selection: selectionFromPlatform(
        { entities: { things: { path: '/things', openapiSchema: 'thing' } } },
        { basePath: '/v1' },
      ),
      source: { url: 'https://example.com/spec.json' },
      outFile,
    });
    const text = await readFile(outFile, 'utf8');
    expect(result.bytes).toBe(Buffer.byteLength(text));
    const doc = JSON.parse(text) as { paths: object; components: { schemas: object } };
    expect(Object.keys(doc.paths)).toEqual(['/v1/things', '/v1/things/{thing}']);
    expect(Object.keys(doc.components.schemas)).toEqual(['thing']);
    expect(text).not.toContain('description');
  });

  test('errors name the platform', async () => {
    const specFile = join(dir, 'empty.json');
    await writeFile(specFile, JSON.stringify({ openapi: '3.0.0', info: { title: 'T', version: '1' }, paths: {} }));
    await expect(
      importOpenApi({
        id: 'things',
        specFile,
        selection: { operations: [{ method: 'GET', path: '/v1/things' }], schemas: [] },
        source: { url: 'https://example.com' },
        outFile: join(dir, 'never.json'),
      }),
    ).rejects.toThrow(
      /^things: each configured path and method must exist in the official description:\n {2}GET \/v1\/things/,
    );
  });
});

describe('parseDescription', () => {
  const accepted: [string, { given: [string, string]; want: unknown }][] = [
    ['JSON', { given: ['{"openapi":"3.0.0"}', 'a.json'], want: { openapi: '3.0.0' } }],
    ['JSON with a BOM and no extension', { given: ['\uFEFF {"a":1}', 'spec'], want: { a: 1 } }],
  ];
  test.each(accepted)('%s', (_name, { given, want }) => {
    expect(parseDescription(...given)).toEqual(want);
  });
  const refused: [string, { given: [string, string]; want: RegExp }][] = [
    ['YAML', { given: ['openapi: 3.0.0', 'spec.yaml'], want: /YAML descriptions are not supported/ }],
    ['broken JSON', { given: ['{"a":', 'spec.json'], want: /spec\.json: not valid JSON/ }],
  ];
  test.each(refused)('%s is refused', (_name, { given, want }) => {
    expect(() => parseDescription(...given)).toThrow(want);
  });
});
