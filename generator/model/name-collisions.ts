import type { LoadedConfig } from '../config/load-config.js';
import type { ConfigIssue } from '../errors.js';
import type { PlatformModel } from './platform-model.js';

/**
 * Entity names that would give two methods or types the same name (e.g. `person` and `people` with `singular:
 * "person"`), as config issues pointing at the second entity's `singular`.
 */
export function nameCollisions(config: LoadedConfig, models: readonly PlatformModel[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const model of models) {
    const owners = new Map<string, string>();
    for (const entity of model.entities) {
      for (const name of [entity.recordType, ...entity.methods.map((m) => m.name)]) {
        const owner = owners.get(name);
        if (owner !== undefined && owner !== entity.key) {
          issues.push({
            file: config.file,
            platformId: model.id,
            pointer: `/entities/${entity.key}/singular`,
            message: `gives the name ${name}, which entity "${owner}" already has; set a distinct "singular"`,
          });
          break;
        }
        owners.set(name, entity.key);
      }
    }
  }
  return issues;
}
