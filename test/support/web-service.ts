/**
 * The service as the browser tests (and the page's benchmark) use it: the built page (`ensureWebBuilt`), the test
 * service of `service.ts` listening on a real loopback port whose origin is also its `ENGARDE_PUBLIC_URL` (the OAuth
 * redirect URI and `redirect_after` lead the browser back there), and optionally an in-process worker running the
 * service's real jobs (what *Sync now* and a PATCH queue). No vitest here: `web-suite.ts` wires it into a test file.
 *
 * @example
 * const web = await startWebService({ overrides: () => ({ stripe: { baseUrl: stripeUrl } }), worker: true });
 * const { apiKey } = await web.service.tenant();
 * await signIn(page, apiKey); // a playwright-core page whose baseURL is web.origin
 * await web.close();
 */
import { createServer } from 'node:net';
import { pino } from 'pino';
import type { Page } from 'playwright-core';
import { taskList } from '../../src/jobs/task-list.js';
import { type RunningWorker, startWorker } from '../../src/jobs/worker.js';
import type { PlatformOverride } from '../../src/service/settings.js';
import { startTestService, type TestService } from './service.js';
import { ensureWebBuilt } from './web-build.js';

export interface WebService {
  /** `http://127.0.0.1:<port>`, also the service's public URL. */
  origin: string;
  service: TestService;
  worker: RunningWorker | undefined;
  /** A JSON call to the API with a tenant key, as another client of the same tenant would make it. */
  call(apiKey: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: ApiBody }>;
  close(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: API answers are read field by field in each test
export type ApiBody = Record<string, any>;

export interface WebServiceOptions {
  /** Platform overrides, given the service's origin before it starts (an OAuth server needs its redirect URI). */
  overrides?: (origin: string) => Record<string, PlatformOverride> | Promise<Record<string, PlatformOverride>>;
  env?: Record<string, string>;
  /** Run the service's jobs in-process (default false). */
  worker?: boolean;
}

/** A port free on 127.0.0.1 now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function startWebService(options: WebServiceOptions = {}): Promise<WebService> {
  await ensureWebBuilt();
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const overrides = options.overrides ? await options.overrides(origin) : undefined;
  const service = await startTestService({
    ...(overrides ? { overrides } : {}),
    // The page makes a request per action and reloads on focus: our own API's per-tenant limit is not under test.
    env: { ENGARDE_PUBLIC_URL: origin, ENGARDE_API_RATE_LIMIT: '100000', ...options.env },
  });
  let worker: RunningWorker | undefined;
  try {
    await service.app.listen({ host: '127.0.0.1', port });
    if (options.worker) {
      const pool = service.database.pool({ max: 8 });
      pool.on('connect', (client) => client.on('error', () => {})); // a client lost when the database is dropped
      worker = await startWorker({
        pool,
        taskList: taskList(service.ctx),
        logger: pino({ level: 'silent' }),
        concurrency: 4,
        tuning: { pollIntervalMs: 100 },
      });
    }
  } catch (error) {
    await service.close();
    throw error;
  }
  return {
    origin,
    service,
    worker,
    async call(apiKey, method, url, body) {
      const res = await fetch(`${origin}${url}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : {}) as ApiBody };
    },
    async close() {
      await worker?.stop();
      await service.close();
    },
  };
}

/** Signs in as a person does: paste the key into "Tenant API key", press Sign in, land on the marketplace. */
export async function signIn(page: Page, apiKey: string, at = '/'): Promise<void> {
  await page.goto(at);
  await page.getByLabel('Tenant API key').fill(apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Marketplace' }).waitFor();
}
