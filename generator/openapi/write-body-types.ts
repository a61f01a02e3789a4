import type { PlatformConfig } from '../../src/runtime/platform-schema.js';
import type { WriteBodyResolver } from '../model/platform-model.js';
import { platformBasePath, withoutQuery } from './import-openapi.js';
import type { LoadedSpec } from './openapi-specs.js';
import { findPathTemplate } from './trim-openapi.js';

const MEDIA_TYPES = {
  json: 'application/json',
  form: 'application/x-www-form-urlencoded',
  'form-json-values': 'application/x-www-form-urlencoded',
} as const;

/**
 * Types an entity's write body from its OpenAPI description: the request body of its create or update operation, in
 * the media type the entity writes, as a `paths[…]` expression over the openapi-typescript output. Undefined when
 * the description has no such body.
 */
export function writeBodyResolver(specs: ReadonlyMap<string, LoadedSpec>): WriteBodyResolver {
  return (platform: PlatformConfig, entityKey: string, operation: 'create' | 'update') => {
    const spec = specs.get(platform.id);
    const entity = platform.entities[entityKey];
    if (!spec || !entity) return undefined;
    const paths = spec.document.paths ?? {};
    const base = platformBasePath(platform, spec.document) ?? '';
    const listPath = withoutQuery(entity.path);
    const op =
      operation === 'create'
        ? { path: withoutQuery(entity.createPath ?? listPath), method: 'post' }
        : { path: withoutQuery(entity.itemPath ?? `${listPath}/{id}`), method: entity.updateMethod.toLowerCase() };
    const specPath = findPathTemplate(Object.keys(paths), `${base}${op.path}`);
    const mediaType = MEDIA_TYPES[entity.writeBody.encoding];
    if (!specPath || !paths[specPath]?.[op.method]?.requestBody?.content?.[mediaType]) return undefined;
    const body = `NonNullable<paths['${specPath}']['${op.method}']['requestBody']>['content']['${mediaType}']`;
    // The runtime wraps the body itself (`{ "customer": … }`), so the caller gives what goes inside the wrapper.
    const { wrapIn } = entity.writeBody;
    return wrapIn ? `NonNullable<${body}['${wrapIn}']>` : body;
  };
}

/** Resolves the type of an entity's list filters from its OpenAPI list operation, when it takes query parameters. */
export type ListQueryResolver = (platform: PlatformConfig, entityKey: string) => string | undefined;

/**
 * Types an entity's list filters (`ListParams['query']`) from the query parameters of its list operation, as a
 * `paths[…]` expression over the openapi-typescript output. Undefined when the description has none for it.
 */
export function listQueryResolver(specs: ReadonlyMap<string, LoadedSpec>): ListQueryResolver {
  return (platform, entityKey) => {
    const spec = specs.get(platform.id);
    const entity = platform.entities[entityKey];
    if (!spec || !entity) return undefined;
    const paths = (spec.document.paths ?? {}) as Record<string, Record<string, { parameters?: unknown[] } | undefined>>;
    const specPath = findPathTemplate(
      Object.keys(paths),
      `${platformBasePath(platform, spec.document) ?? ''}${withoutQuery(entity.path)}`,
    );
    const method = entity.method.toLowerCase();
    const operation = specPath ? paths[specPath]?.[method] : undefined;
    const shared = specPath ? (paths[specPath] as { parameters?: unknown[] } | undefined)?.parameters : undefined;
    const parameters = [...(shared ?? []), ...(operation?.parameters ?? [])];
    const components =
      ((spec.document.components ?? {}) as { parameters?: Record<string, { in?: string }> }).parameters ?? {};
    const inQuery = parameters.some((parameter) => {
      const ref = (parameter as { $ref?: string }).$ref;
      const resolved = ref ? components[ref.replace('#/components/parameters/', '')] : (parameter as { in?: string });
      return resolved?.in === 'query';
    });
    if (!operation || !inQuery) return undefined;
    return `NonNullable<paths['${specPath}']['${method}']['parameters']['query']>`;
  };
}
