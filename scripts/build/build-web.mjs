// `npm run build:web`: the page's production build (web/ → dist/web/), whatever NODE_ENV the caller runs under —
// vitest sets it to "test" when a browser test builds the page, and Vite then keeps React's development build (and
// development-mode transforms): 10% larger and several times slower.
import { fileURLToPath } from 'node:url';

process.env.NODE_ENV = 'production';
const { build } = await import('vite');
await build({
  configFile: fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url)),
  mode: 'production',
  logLevel: 'warn',
});
