/**
 * What the registry routes say of each platform, built from the adapters' own metadata (`static meta`): summaries
 * for the marketplace, and for one platform the JSON Schemas of its credentials and connection config, whose field
 * names are the adapters' own (`apiKey`, `shop`), so a connect request uses exactly those names.
 */

import type { PlatformMeta } from '../runtime/adapter-types.js';
import { credentialFieldsOf } from '../runtime/credential-fields.js';
import { rateLimitSummary } from '../runtime/rate-limit/rate-limit-models.js';
import type { AdapterRegistry } from '../runtime/registry.js';
import { type SetupGuide, setupGuide } from './setup-guide.js';

export interface EntitySummary {
  name: string;
  description: string;
  standard: string | null;
  read: true;
  write: string[];
  incremental: boolean;
}

/** An entity as the list shows it: what it offers, without its description. */
export interface EntityBrief {
  name: string;
  standard: string | null;
  write: string[];
  incremental: boolean;
}

export interface IntegrationSummary {
  id: string;
  name: string;
  category: string;
  /** The description's first sentence (at most 240 characters); the full text is in the detail. */
  summary: string;
  auth_kind: string;
  docs_url: string;
  api_version: string;
  entities: EntityBrief[];
  supports: { write: boolean; webhooks: boolean; incremental: boolean; oauth: boolean };
  webhooks: { scheme: string };
  rate_limit: { model: string; summary: string };
}

export interface JsonSchemaObject {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required: string[];
  additionalProperties: false;
}

export interface IntegrationDetail extends Omit<IntegrationSummary, 'entities' | 'summary'> {
  description: string;
  entities: EntitySummary[];
  credentials_schema: JsonSchemaObject;
  connection_config_schema: JsonSchemaObject;
  oauth: { scopes: string[]; scope_separator: string; grant_type: string } | null;
  setup_guide: SetupGuide;
}

/** The first sentence of a description, at most 240 characters. */
function firstSentence(text: string): string {
  const sentence = /^.*?[.!?](?=\s|$)/s.exec(text)?.[0] ?? text;
  return sentence.length > 240 ? `${sentence.slice(0, 239)}…` : sentence;
}

function entitiesOf(meta: PlatformMeta): EntitySummary[] {
  return Object.keys(meta.entities)
    .sort()
    .map((name): EntitySummary => {
      const e = meta.entities[name] as PlatformMeta['entities'][string];
      return {
        name,
        description: e.description,
        standard: e.standard ?? null,
        read: true,
        write: [...e.write],
        incremental: e.incremental.kind !== 'none',
      };
    });
}

export function summarize(meta: PlatformMeta): IntegrationSummary {
  const entities = entitiesOf(meta);
  return {
    id: meta.id,
    name: meta.name,
    category: meta.category,
    summary: firstSentence(meta.description),
    auth_kind: meta.auth.kind,
    docs_url: meta.docsUrl,
    api_version: meta.apiVersion,
    entities: entities.map(({ name, standard, write, incremental }) => ({ name, standard, write, incremental })),
    supports: {
      write: entities.some((e) => e.write.length > 0),
      webhooks: meta.webhooks.scheme !== 'none',
      incremental: entities.some((e) => e.incremental),
      oauth: meta.auth.kind === 'oauth2',
    },
    webhooks: { scheme: meta.webhooks.scheme },
    rate_limit: { model: meta.rateLimit.model, summary: rateLimitSummary(meta.rateLimit).text },
  };
}

/** The JSON Schema of a platform's credentials (secret fields are `writeOnly`). */
export function credentialsSchema(meta: PlatformMeta): JsonSchemaObject {
  const properties: Record<string, Record<string, unknown>> = {};
  const required: string[] = [];
  for (const field of credentialFieldsOf(meta.auth)) {
    properties[field.name] = {
      type: field.type,
      description: field.description,
      ...(field.type === 'string' ? { minLength: 1 } : {}),
      ...(field.secret ? { writeOnly: true } : {}),
    };
    if (field.required) required.push(field.name);
  }
  return { type: 'object', properties, required, additionalProperties: false };
}

/** The JSON Schema of a platform's connection config (shop, region, host…). */
export function connectionConfigSchema(meta: PlatformMeta): JsonSchemaObject {
  const properties: Record<string, Record<string, unknown>> = {};
  const required: string[] = [];
  for (const name of Object.keys(meta.connectionConfig).sort()) {
    const v = meta.connectionConfig[name] as PlatformMeta['connectionConfig'][string];
    properties[name] = {
      type: 'string',
      description: v.description,
      pattern: v.pattern,
      examples: [v.example],
      ...(v.default === undefined ? {} : { default: v.default }),
      ...(v.hostSuffix === undefined ? {} : { 'x-host-suffix': v.hostSuffix }),
    };
    if (v.default === undefined) required.push(name);
  }
  return { type: 'object', properties, required, additionalProperties: false };
}

export function detail(meta: PlatformMeta): IntegrationDetail {
  const { summary: _summary, entities: _brief, ...common } = summarize(meta);
  return {
    ...common,
    description: meta.description,
    entities: entitiesOf(meta),
    credentials_schema: credentialsSchema(meta),
    connection_config_schema: connectionConfigSchema(meta),
    oauth:
      meta.auth.kind === 'oauth2'
        ? { scopes: [...meta.auth.scopes], scope_separator: meta.auth.scopeSeparator, grant_type: meta.auth.grantType }
        : null,
    setup_guide: setupGuide(meta),
  };
}

/**
 * Every platform's metadata, loaded once (195 adapter modules, on first use) and kept.
 * @example
 * const catalog = new IntegrationCatalog(getAdapterRegistry());
 * (await catalog.all()).length; // 195
 */
export class IntegrationCatalog {
  // biome-ignore lint/suspicious/noExplicitAny: any registry
  readonly #registry: AdapterRegistry<any>;
  #metas: Promise<Map<string, PlatformMeta>> | undefined;
  #summaries: IntegrationSummary[] | undefined;

  // biome-ignore lint/suspicious/noExplicitAny: any registry
  constructor(registry: AdapterRegistry<any>) {
    this.#registry = registry;
  }

  /** Whether a platform id exists (no loading). */
  has(id: string): boolean {
    return this.#registry.has(id);
  }

  async meta(id: string): Promise<PlatformMeta | undefined> {
    return (await this.#load()).get(id);
  }

  /** Summaries of every platform, sorted by id. */
  async all(): Promise<IntegrationSummary[]> {
    if (!this.#summaries) {
      const metas = await this.#load();
      this.#summaries = [...metas.values()].map(summarize);
    }
    return this.#summaries;
  }

  #load(): Promise<Map<string, PlatformMeta>> {
    this.#metas ??= (async () => {
      const ids = this.#registry.platforms().map((p) => p.id);
      const metas = await Promise.all(ids.map((id) => this.#registry.meta(id)));
      return new Map(ids.map((id, i) => [id, metas[i] as PlatformMeta]));
    })();
    return this.#metas;
  }
}
