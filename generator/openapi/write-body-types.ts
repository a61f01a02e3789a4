import type { PlatformConfig } from '../../src/runtime/platform-schema.js';
import type { WriteBodyResolver } from '../model/platform-model.js';
import { deriveBasePath } from './import-openapi.js';
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
    const base = deriveBasePath(platform.baseUrl, spec.document) ?? '';
    const op =
      operation === 'create'
        ? { path: entity.createPath ?? entity.path, method: 'post' }
        : { path: entity.itemPath ?? `${entity.path}/{id}`, method: entity.updateMethod.toLowerCase() };
    const specPath = findPathTemplate(Object.keys(paths), `${base}${op.path}`);
    const mediaType = MEDIA_TYPES[entity.writeBody.encoding];
    if (!specPath || !paths[specPath]?.[op.method]?.requestBody?.content?.[mediaType]) return undefined;
    return `NonNullable<paths['${specPath}']['${op.method}']['requestBody']>['content']['${mediaType}']`;
  };
}
