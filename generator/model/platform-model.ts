import { credentialFieldsOf } from '../../src/runtime/credential-fields.js';
import type { EntityConfig, PlatformConfig } from '../../src/runtime/platform-schema.js';
import { compareStrings } from '../compare.js';
import { pascalCase, propertyKey, singularize } from './naming.js';

/** One property of a generated interface. */
export interface FieldModel {
  key: string;
  type: string;
  optional: boolean;
  doc?: string;
}

/** One generated method on an adapter class. */
export interface MethodModel {
  name: string;
  /** Parameter list as source, e.g. `id: string, body: ShopifyCustomerInput`. */
  params: string;
  returns: string;
  /** Call on the base class, e.g. `this.update('customers', id, body)`. */
  call: string;
  doc: string;
}

export interface EntityModel {
  key: string;
  /** Record type name, e.g. `StripeCustomer`. */
  recordType: string;
  /** Right-hand side of `export type <recordType> = …` when typed from OpenAPI. */
  openapiType?: string;
  /** Write-body types, one per write operation that takes a body (create, update), and the list-filter type. */
  inputs: Array<{ name: string; source: string; doc: string }>;
  /** Declared fields when typed from config. */
  fields?: FieldModel[];
  /** Standard entity it normalizes into, if any. */
  standard?: string;
  doc: string;
  methods: MethodModel[];
}

export interface PlatformModel {
  id: string;
  name: string;
  className: string;
  typePrefix: string;
  /** Repository-relative input files, for the generated header. */
  inputs: string[];
  credentials: FieldModel[];
  connection: FieldModel[];
  entities: EntityModel[];
  /** The validated config with every object's keys sorted, as JSON. */
  metaJson: string;
  hasOpenApi: boolean;
  /** Entities that normalize into a standard entity. */
  standardEntities: Array<{ key: string; standard: string }>;
}

/** A deep copy with object keys in one canonical order, so key order in the config never reaches the output. */
export function canonicalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalize);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort(compareStrings)
        .map((k) => [k, canonicalize((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

const FIELD_TYPES: Record<string, string> = {
  string: 'string',
  number: 'number',
  integer: 'number',
  boolean: 'boolean',
  object: 'Record<string, unknown>',
  unknown: 'unknown',
};

/** `"string[]|null?"` → `{ type: 'string[] | null', optional: true }`. */
export function fieldTypeToTs(spec: string): { type: string; optional: boolean } {
  const optional = spec.endsWith('?');
  const body = optional ? spec.slice(0, -1) : spec;
  const nullable = body.endsWith('|null');
  const core = nullable ? body.slice(0, -'|null'.length) : body;
  const array = core.endsWith('[]');
  const base = FIELD_TYPES[array ? core.slice(0, -2) : core] ?? 'unknown';
  const type = array ? (base.includes(' ') || base.includes('<') ? `Array<${base}>` : `${base}[]`) : base;
  return { type: nullable ? `${type} | null` : type, optional };
}

function credentialFields(auth: PlatformConfig['auth']): FieldModel[] {
  return credentialFieldsOf(auth).map((f) => ({
    key: f.name,
    type: f.type,
    optional: !f.required,
    doc: f.description,
  }));
}

function methodsFor(key: string, e: EntityConfig, recordType: string, listQuery: string | undefined): MethodModel[] {
  const plural = pascalCase(key);
  const single = pascalCase(e.singular ?? singularize(key));
  const entity = `'${key}'`;
  const methods: MethodModel[] = [
    {
      name: `list${plural}`,
      params: listQuery ? `params?: ListParams<${listQuery}>` : 'params?: ListParams',
      returns: `AsyncIterable<${recordType}>`,
      call: `this.list(${entity}, params)`,
      doc: `Every record of \`${key}\`, page by page, fetched lazily.`,
    },
    {
      name: `fetch${plural}`,
      params: listQuery ? `params?: FetchParams<${listQuery}>` : 'params?: FetchParams',
      returns: `Promise<${recordType}[]>`,
      call: `this.fetch(${entity}, params)`,
      doc: `Records of \`${key}\` in a date range, up to \`limit\`, as an array.`,
    },
  ];
  if (e.getById) {
    methods.push({
      name: `get${single}`,
      params: 'id: string',
      returns: `Promise<${recordType}>`,
      call: `this.get(${entity}, id)`,
      doc: `One record of \`${key}\` by id.`,
    });
  }
  if (e.write.includes('create')) {
    methods.push({
      name: `create${single}`,
      params: `body: ${recordType}CreateInput`,
      returns: `Promise<${recordType}>`,
      call: `this.create(${entity}, body)`,
      doc: `Creates a record of \`${key}\`.`,
    });
  }
  if (e.write.includes('update')) {
    methods.push({
      name: `update${single}`,
      params: `id: string, body: ${recordType}UpdateInput`,
      returns: `Promise<${recordType}>`,
      call: `this.update(${entity}, id, body)`,
      doc: `Updates a record of \`${key}\` (${e.updateMethod}).`,
    });
  }
  if (e.write.includes('delete')) {
    methods.push({
      name: `delete${single}`,
      params: 'id: string',
      returns: 'Promise<void>',
      call: `this.delete(${entity}, id)`,
      doc: `Deletes a record of \`${key}\`.`,
    });
  }
  return methods;
}

/** Text safe inside a `/** … *\/` comment, on one line. */
export function commentSafe(text: string): string {
  return text.replaceAll('*/', '*\\/').replace(/\s+/g, ' ').trim();
}

/** Resolves an entity's write-body type from the OpenAPI description, when it has one. */
export type WriteBodyResolver = (
  platform: PlatformConfig,
  entityKey: string,
  operation: 'create' | 'update',
) => string | undefined;

/**
 * Builds the render model of one platform: pure, and sorted so that output never depends on input order.
 */
export function buildPlatformModel(
  p: PlatformConfig,
  configFile: string,
  resolveWriteBody: WriteBodyResolver = () => undefined,
  resolveListQuery: (platform: PlatformConfig, entityKey: string) => string | undefined = () => undefined,
): PlatformModel {
  const typePrefix = pascalCase(p.id);
  const entities = Object.entries(p.entities)
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([key, e]): EntityModel => {
      const single = pascalCase(e.singular ?? singularize(key));
      const recordType = `${typePrefix}${single}`;
      const listQuerySource = resolveListQuery(p, key);
      const listQuery = listQuerySource ? `${recordType}ListQuery` : undefined;
      const fields = e.fields
        ? Object.entries(e.fields)
            .sort(([a], [b]) => compareStrings(a, b))
            .map(([name, spec]) => ({ key: propertyKey(name), ...fieldTypeToTs(spec) }))
        : undefined;
      return {
        key,
        recordType,
        openapiType: e.openapiSchema ? `components['schemas']['${e.openapiSchema}']` : undefined,
        inputs: [
          ...(['create', 'update'] as const)
            .filter((op) => e.write.includes(op))
            .map((op) => ({
              name: `${recordType}${op === 'create' ? 'Create' : 'Update'}Input`,
              source: resolveWriteBody(p, key, op) ?? `Partial<${recordType}>`,
              doc: `Body of a${op === 'update' ? 'n' : ''} ${op} of \`${key}\`.`,
            })),
          ...(listQuery && listQuerySource
            ? [
                {
                  name: listQuery,
                  source: listQuerySource,
                  doc: `Filters of the \`${key}\` list, from the OpenAPI description.`,
                },
              ]
            : []),
        ],
        fields,
        standard: e.standard,
        doc: commentSafe(e.description),
        methods: methodsFor(key, e, recordType, listQuery).map((m) => ({ ...m, doc: commentSafe(m.doc) })),
      };
    });
  return {
    id: p.id,
    name: p.name,
    className: `${typePrefix}Adapter`,
    typePrefix,
    inputs: [`${configFile} (${p.id})`, ...(p.openapi ? [p.openapi.file] : [])],
    credentials: credentialFields(p.auth).map((f) => ({
      ...f,
      key: propertyKey(f.key),
      doc: commentSafe(f.doc ?? ''),
    })),
    connection: Object.entries(p.connectionConfig)
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([key, v]) => ({
        key: propertyKey(key),
        type: 'string',
        optional: v.default !== undefined,
        doc: commentSafe(`${v.description} Pattern: \`${v.pattern}\`; e.g. \`${v.example}\`.`),
      })),
    entities,
    metaJson: JSON.stringify(canonicalize(p)),
    hasOpenApi: Boolean(p.openapi),
    standardEntities: entities.flatMap((e) => (e.standard ? [{ key: e.key, standard: e.standard }] : [])),
  };
}
