import { describe, expect, test } from 'vitest';
import {
  OpenApiDocumentError,
  type OpenApiSelection,
  OpenApiSelectionError,
  pathsMatch,
  serializeOpenApi,
  trimOpenApi,
} from '../../../generator/openapi/trim-openapi.js';

const SOURCE = { url: 'https://example.com/openapi.json' };
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ content: { 'application/json': { schema } } });

/** A small description in the style of Stripe's: expandable fields, prose everywhere, vendor extensions. */
function widgetSpec(): Record<string, unknown> {
  return {
    openapi: '3.0.0',
    info: { title: 'Widgets', version: '2025-01-01', description: 'All about widgets.', 'x-logo': { url: 'x' } },
    servers: [{ url: 'https://api.example.com/', description: 'production' }],
    tags: [{ name: 'widgets', description: 'Widgets' }],
    paths: {
      '/v1/widgets': {
        summary: 'Widgets',
        get: {
          operationId: 'ListWidgets',
          summary: 'List widgets',
          tags: ['widgets'],
          parameters: [{ $ref: '#/components/parameters/limit' }],
          responses: {
            '200': { description: 'OK', ...json({ type: 'array', items: ref('widget') }) },
            default: { $ref: '#/components/responses/error' },
          },
        },
        post: {
          operationId: 'CreateWidget',
          requestBody: { $ref: '#/components/requestBodies/widget_input' },
          responses: { '200': { description: 'OK', ...json(ref('widget')) } },
        },
      },
      '/v1/widgets/{widget}': {
        parameters: [{ name: 'widget', in: 'path', required: true, schema: { type: 'string' } }],
        get: { operationId: 'GetWidget', responses: { '200': { description: 'OK', ...json(ref('widget')) } } },
        delete: { operationId: 'DeleteWidget', responses: { '200': { description: 'OK' } } },
      },
      '/v1/widgets/search': {
        get: {
          operationId: 'SearchWidgets',
          responses: { '200': { description: 'OK', ...json(ref('search_result')) } },
        },
      },
      '/v1/gadgets': {
        get: { operationId: 'ListGadgets', responses: { '200': { description: 'OK', ...json(ref('gadget')) } } },
      },
    },
    components: {
      parameters: {
        limit: { name: 'limit', in: 'query', description: 'How many', schema: { type: 'integer', example: 10 } },
        unused_param: { name: 'x', in: 'query', schema: { type: 'string' } },
      },
      requestBodies: {
        widget_input: json({ type: 'object', properties: { colour: ref('colour') } }),
      },
      responses: {
        error: {
          description: 'Error',
          headers: { 'Request-Id': { $ref: '#/components/headers/request_id' } },
          ...json(ref('error')),
        },
      },
      headers: { request_id: { schema: { type: 'string' }, description: 'Request id' } },
      schemas: {
        widget: {
          type: 'object',
          title: 'Widget',
          description: 'A widget.',
          'x-resourceId': 'widget',
          'x-expandableFields': ['owner'],
          required: ['id', 'description'],
          properties: {
            id: { type: 'string', example: 'wd_123' },
            // A property named like a prose keyword is data, not prose.
            description: { type: 'string', nullable: true, description: 'Free text.' },
            title: { type: 'string' },
            'x-custom': { type: 'boolean' },
            owner: {
              anyOf: [{ type: 'string', maxLength: 5000 }, ref('owner')],
              'x-expansionResources': { oneOf: [ref('expansion_only')] },
            },
            kind: { type: 'string', enum: ['a', 'b'], default: 'a' },
          },
        },
        owner: { type: 'object', properties: { widgets: { type: 'array', items: ref('widget') } } },
        colour: { type: 'string', enum: ['red', 'green'] },
        error: { type: 'object', properties: { message: { type: 'string' } } },
        gadget: { type: 'object', properties: { id: { type: 'string' } } },
        search_result: { type: 'object', properties: { data: { type: 'array', items: ref('widget') } } },
        expansion_only: { type: 'object', properties: { id: { type: 'string' } } },
        standalone: { type: 'object', properties: { part: ref('part') } },
        part: { type: 'object', properties: { id: { type: 'integer' } } },
        self_ref: { type: 'object', properties: { parent: ref('self_ref'), child: ref('self_ref') } },
      },
    },
  };
}

const sel = (operations: [string, string][], schemas: string[] = []): OpenApiSelection => ({
  operations: operations.map(([method, path]) => ({ method, path })),
  schemas,
});

type Doc = {
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
  info: Record<string, unknown>;
} & Record<string, unknown>;
const trim = (selection: OpenApiSelection, spec: unknown = widgetSpec()) => trimOpenApi(spec, selection, SOURCE) as Doc;
const componentNames = (doc: Doc) =>
  Object.fromEntries(Object.entries(doc.components ?? {}).map(([kind, entries]) => [kind, Object.keys(entries)]));

describe('trimOpenApi: what it keeps', () => {
  const cases: [
    string,
    { given: OpenApiSelection; want: { paths: Record<string, string[]>; components: Record<string, string[]> } },
  ][] = [
    [
      'one operation keeps its path item, only that method, and its $ref closure of every component kind',
      {
        given: sel([['GET', '/v1/widgets']]),
        want: {
          paths: { '/v1/widgets': ['get'] },
          components: {
            headers: ['request_id'],
            parameters: ['limit'],
            responses: ['error'],
            schemas: ['error', 'owner', 'widget'],
          },
        },
      },
    ],
    [
      'config {id} matches the description own parameter name; path-level parameters are kept',
      {
        given: sel([
          ['get', '/v1/widgets/{id}'],
          ['DELETE', '/v1/widgets/{id}'],
        ]),
        want: {
          paths: { '/v1/widgets/{widget}': ['delete', 'get', 'parameters'] },
          components: { schemas: ['owner', 'widget'] },
        },
      },
    ],
    [
      'a template segment never matches a literal one (/v1/widgets/search stays out)',
      {
        given: sel([['GET', '/v1/widgets/{id}']]),
        want: {
          paths: { '/v1/widgets/{widget}': ['get', 'parameters'] },
          components: { schemas: ['owner', 'widget'] },
        },
      },
    ],
    [
      'request bodies are followed',
      {
        given: sel([['POST', '/v1/widgets']]),
        want: {
          paths: { '/v1/widgets': ['post'] },
          components: { requestBodies: ['widget_input'], schemas: ['colour', 'owner', 'widget'] },
        },
      },
    ],
    [
      'listed record schemas are kept with their closure even when no operation reaches them',
      {
        given: sel([['GET', '/v1/gadgets']], ['standalone']),
        want: { paths: { '/v1/gadgets': ['get'] }, components: { schemas: ['gadget', 'part', 'standalone'] } },
      },
    ],
    [
      'cycles in $ref terminate',
      {
        given: sel([], ['self_ref']),
        want: { paths: {}, components: { schemas: ['self_ref'] } },
      },
    ],
  ];
  test.each(cases)('%s', (_name, { given, want }) => {
    const doc = trim(given);
    expect(Object.fromEntries(Object.entries(doc.paths).map(([p, item]) => [p, Object.keys(item)]))).toEqual(
      want.paths,
    );
    expect(componentNames(doc)).toEqual(want.components);
  });
});

describe('trimOpenApi: what it drops', () => {
  const doc = trim(sel([['GET', '/v1/widgets']]));
  const schemas = doc.components?.schemas as Record<string, Record<string, unknown>>;
  const widget = schemas.widget as { properties: Record<string, Record<string, unknown>> } & Record<string, unknown>;
  const cases: [string, { given: unknown; want: unknown }][] = [
    ['schema prose and x- extensions', { given: Object.keys(widget), want: ['properties', 'required', 'type'] }],
    [
      'properties named description, title and x-custom are kept',
      { given: Object.keys(widget.properties), want: ['description', 'id', 'kind', 'owner', 'title', 'x-custom'] },
    ],
    [
      'prose inside a kept property',
      { given: widget.properties.description, want: { nullable: true, type: 'string' } },
    ],
    ['examples', { given: widget.properties.id, want: { type: 'string' } }],
    [
      'expandable fields keep both branches; docs-only x-expansionResources goes, and what only it referenced',
      {
        given: [widget.properties.owner, 'expansion_only' in schemas],
        want: [{ anyOf: [{ maxLength: 5000, type: 'string' }, { $ref: '#/components/schemas/owner' }] }, false],
      },
    ],
    [
      'enum and default are data',
      { given: widget.properties.kind, want: { default: 'a', enum: ['a', 'b'], type: 'string' } },
    ],
    ['required names are data', { given: widget.required, want: ['id', 'description'] }],
    [
      'operation summary and tags',
      { given: Object.keys(doc.paths['/v1/widgets']?.get as object), want: ['operationId', 'parameters', 'responses'] },
    ],
    ['path item summary and other methods', { given: Object.keys(doc.paths['/v1/widgets'] as object), want: ['get'] }],
    ['top-level tags', { given: Object.keys(doc), want: ['components', 'info', 'openapi', 'paths', 'servers'] }],
    ['server descriptions', { given: doc.servers, want: [{ url: 'https://api.example.com/' }] }],
    [
      'info keeps title and version and gains the source stamp',
      {
        given: doc.info,
        want: {
          title: 'Widgets',
          version: '2025-01-01',
          'x-engarde-source': { importedWith: 'engarde import-openapi', url: SOURCE.url, version: '2025-01-01' },
        },
      },
    ],
  ];
  test.each(cases)('%s', (_name, { given, want }) => {
    expect(given).toEqual(want);
  });

  test('an explicit source version wins over info.version', () => {
    const stamped = trimOpenApi(widgetSpec(), sel([]), { url: SOURCE.url, version: 'v9' });
    expect(stamped.info['x-engarde-source'].version).toBe('v9');
  });
});

describe('trimOpenApi: errors', () => {
  const cases: [
    string,
    {
      given: { spec?: unknown; selection: OpenApiSelection };
      want: { type: abstract new (...args: never[]) => Error; lines: string[] };
    },
  ][] = [
    [
      'names every missing path, method and schema at once',
      {
        given: {
          selection: sel(
            [
              ['GET', '/v1/nothing'],
              ['PATCH', '/v1/widgets/{id}'],
              ['GET', '/v1/widgets'],
            ],
            ['widget', 'nope'],
          ),
        },
        want: {
          type: OpenApiSelectionError,
          lines: [
            'each configured path and method must exist in the official description',
            'GET /v1/nothing: no such path in the description',
            'PATCH /v1/widgets/{id}: /v1/widgets/{widget} has no PATCH operation (it has GET, DELETE)',
            'schema "nope": not in components.schemas',
          ],
        },
      },
    ],
    [
      'Swagger 2.0',
      {
        given: { spec: { swagger: '2.0', paths: {} }, selection: sel([]) },
        want: { type: OpenApiDocumentError, lines: ['Swagger 2.0 is not supported'] },
      },
    ],
    [
      'a path that matches two templates',
      {
        given: {
          spec: {
            openapi: '3.0.0',
            info: { title: 't', version: '1' },
            paths: { '/a/{x}': { get: {} }, '/a/{y}': { get: {} } },
          },
          selection: sel([['GET', '/a/{id}']]),
        },
        want: { type: OpenApiSelectionError, lines: ['GET /a/{id}: ambiguous, matches /a/{x}, /a/{y}'] },
      },
    ],
    [
      'a dangling $ref',
      {
        given: {
          spec: {
            openapi: '3.1.0',
            info: { title: 't', version: '1' },
            paths: {},
            components: { schemas: { a: ref('b') } },
          },
          selection: sel([], ['a']),
        },
        want: { type: OpenApiDocumentError, lines: ['"#/components/schemas/b" is referenced but not defined'] },
      },
    ],
    [
      'an external $ref',
      {
        given: {
          spec: {
            openapi: '3.0.3',
            info: { title: 't', version: '1' },
            paths: {},
            components: { schemas: { a: { $ref: 'other.yaml#/A' } } },
          },
          selection: sel([], ['a']),
        },
        want: { type: OpenApiDocumentError, lines: ['external $ref "other.yaml#/A"'] },
      },
    ],
  ];
  test.each(cases)('%s', (_name, { given, want }) => {
    let caught: unknown;
    try {
      trimOpenApi(given.spec ?? widgetSpec(), given.selection, SOURCE);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(want.type);
    for (const line of want.lines) expect((caught as Error).message).toContain(line);
  });
});

describe('trimOpenApi: determinism and purity', () => {
  test('key order of the input does not change the output; keys are sorted recursively, arrays keep order', () => {
    const reverse = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reverse)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reverse(x)]),
            )
          : v;
    const selection = sel(
      [
        ['GET', '/v1/widgets'],
        ['POST', '/v1/widgets'],
        ['GET', '/v1/widgets/{id}'],
      ],
      ['standalone'],
    );
    const a = serializeOpenApi(trimOpenApi(widgetSpec(), selection, SOURCE));
    const b = serializeOpenApi(
      trimOpenApi(
        reverse(widgetSpec()),
        { operations: [...selection.operations].reverse(), schemas: selection.schemas },
        SOURCE,
      ),
    );
    expect(b).toBe(a);
    expect(a.endsWith('}\n')).toBe(true);
    const doc = JSON.parse(a) as Doc;
    expect(Object.keys(doc)).toEqual([...Object.keys(doc)].sort());
    expect(Object.keys(doc.components?.schemas ?? {})).toEqual([
      'colour',
      'error',
      'owner',
      'part',
      'standalone',
      'widget',
    ]);
    expect((doc.components as { schemas: { widget: { required: string[] } } }).schemas.widget.required).toEqual([
      'id',
      'description',
    ]);
  });

  test('the input is not mutated', () => {
    const spec = widgetSpec();
    const before = JSON.stringify(spec);
    trimOpenApi(spec, sel([['GET', '/v1/widgets']]), SOURCE);
    expect(JSON.stringify(spec)).toBe(before);
  });

  test.each([
    ['/v1/customers/{id}', '/v1/customers/{customer}', true],
    ['/orders/{id}.json', '/orders/{order_id}.json', true],
    ['/v1/customers/{id}', '/v1/customers/search', false],
    ['/v1/customers', '/v1/customers/{customer}', false],
  ] as const)('pathsMatch(%s, %s) is %s', (a, b, want) => {
    expect(pathsMatch(a, b)).toBe(want);
  });
});
