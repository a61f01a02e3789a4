import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests import the package by name, as users do, but against the sources rather than a stale dist/.
    alias: [
      { find: /^engarde\/adapters\/(.+)$/, replacement: here('./generated/adapters/$1/index.ts') },
      { find: /^engarde\/runtime$/, replacement: here('./src/runtime/index.ts') },
      { find: /^engarde$/, replacement: here('./generated/adapters/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // One embedded Postgres for the whole run (none when DATABASE_URL is set); each test file makes its own database.
    globalSetup: ['test/support/postgres.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
