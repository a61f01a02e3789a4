// `npm start` on a fresh clone: builds the page (dist/web) when it is missing or older than its sources, so the
// service never serves a stale page (`npm run build` builds it too); this covers a fresh clone and a checkout that
// changed web/ since.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = path.join(root, 'dist/web/index.html');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(file) : statSync(file).mtimeMs);
  }
  return latest;
}

const sources = path.join(root, 'web');
if (existsSync(sources) && (!existsSync(built) || statSync(built).mtimeMs < newest(sources))) {
  console.error('engarde: building the web page (npm run build:web)…');
  execFileSync('npm', ['run', 'build:web'], { cwd: root, stdio: 'inherit' });
}
