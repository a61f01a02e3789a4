/**
 * The marketplace and dashboard page at `/`: the files `npm run build` writes to `dist/web/` (built from `web/` by
 * Vite), served as they are — hashed assets cached for good, the HTML never — under a Content-Security-Policy that
 * allows nothing from elsewhere (the page talks only to this API). Without a build, `/` says how to make one.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // uPlot sizes its canvas and legend with style attributes.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** The package root: the nearest folder above this module with a package.json (the checkout, or the installed package). */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('engarde: no package.json above the server module');
    dir = parent;
  }
  return dir;
}

/** Where the built page is: `dist/web` in the package. */
export function webAssetsDir(): string {
  return path.join(packageRoot(), 'dist', 'web');
}

export async function webPageRoutes(app: FastifyInstance, root = webAssetsDir()): Promise<void> {
  const index = path.join(root, 'index.html');
  if (!existsSync(index)) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .status(503)
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><html lang="en"><title>EnGarde</title><h1>The page is not built</h1><p>Run <code>npm run build</code> (it writes dist/web), then restart <code>engarde serve</code>. The REST API works without it: see <a href="/docs">/docs</a>.</p></html>',
        ),
    );
    return;
  }
  const html = readFileSync(index);
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .header('content-security-policy', CSP)
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .type('text/html; charset=utf-8')
      .send(html),
  );
  await app.register(fastifyStatic, {
    root: path.join(root, 'assets'),
    prefix: '/assets/',
    // Routes for the files present at start, not a wildcard: any other path stays a 404 problem.
    wildcard: false,
    index: false,
    immutable: true,
    maxAge: '365d',
    setHeaders: (reply) => {
      reply.header('x-content-type-options', 'nosniff');
    },
  });
}
