import { z } from 'zod';
import { platformSchema } from '../../src/runtime/platform-schema.js';

/**
 * The JSON Schema of the config file, written to `configs/platform-config.schema.json` so editors validate and
 * complete entries. Cross-field rules live in zod only; the generator reports those.
 */
export function configJsonSchema(): string {
  const file = z
    .object({
      $schema: z.string().optional().describe('Path of this JSON Schema, for editors.'),
      platforms: z.array(platformSchema).describe('Every platform, one entry each.'),
    })
    .strict()
    .describe('EnGarde platform catalogue: every platform the generator writes an adapter for.');
  const schema = z.toJSONSchema(file, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  return `${JSON.stringify({ ...schema, title: 'EnGarde platform configs' }, null, 2)}\n`;
}
