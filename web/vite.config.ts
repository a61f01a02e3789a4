/**
 * The marketplace and dashboard page: built from web/ into dist/web/, which `engarde serve` serves at `/`.
 * Everything it loads is in the bundle (no CDN); the page talks only to the REST API.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // One chunk per route would add requests for little: the whole page is well under the 300 KB budget.
    assetsInlineLimit: 0,
  },
  // Dev server (`npx vite web`): the API on the service's default port.
  server: {
    proxy: Object.fromEntries(
      ['/integrations', '/platform-integrations', '/alerts', '/audit-log', '/healthz'].map((p) => [
        p,
        'http://127.0.0.1:3000',
      ]),
    ),
  },
});
