// Part of `npm run build`: tsc compiles .ts to dist/ but does not copy hand-placed declaration files, and the
// generator writes each OpenAPI-typed platform's types as `openapi.d.ts`. Copy them beside the compiled adapters.
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const from = 'generated/adapters';
for (const entry of readdirSync(from, { recursive: true })) {
  if (String(entry).endsWith('.d.ts')) cpSync(join(from, String(entry)), join('dist', from, String(entry)));
}
