/**
 * `engarde sandbox <id> --config-driven`: the config-driven emulator for any platform in the config, in the
 * foreground on loopback until SIGINT or SIGTERM, printing what an adapter needs to talk to it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlatformMeta } from '../../runtime/adapter-types.js';
import { type RunningConfigDrivenEmulator, startConfigDrivenEmulator } from './config-driven-emulator.js';
import type { OpenApiSchemas } from './record-synthesizer.js';
import { INVALID_VALUE } from './write-body.js';

export interface ConfigDrivenSandboxOptions {
  /** The platform's validated config. */
  meta: PlatformMeta;
  /** Repository root, for the platform's trimmed OpenAPI description (default: the working directory). */
  root?: string | undefined;
  port?: number | undefined;
  records?: number | undefined;
  /** Where the banner goes (default stdout) and where request lines go (default stderr). */
  out?: (line: string) => void;
  log?: (line: string) => void;
  /** Stops the sandbox (tests); SIGINT and SIGTERM always do. */
  signal?: AbortSignal | undefined;
  onListening?: (emulator: RunningConfigDrivenEmulator) => void;
}

/**
 * Runs the config-driven sandbox until a signal; resolves with the process exit code.
 *
 * @example
 * await runConfigDrivenSandbox({ meta: platforms.find((p) => p.id === 'airtable'), port: 4010 });
 */
export async function runConfigDrivenSandbox(options: ConfigDrivenSandboxOptions): Promise<number> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { meta } = options;
  const file = meta.openapi ? join(options.root ?? process.cwd(), meta.openapi.file) : undefined;
  const openapi = file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as OpenApiSchemas) : undefined;

  let running: RunningConfigDrivenEmulator;
  try {
    running = await startConfigDrivenEmulator(meta, {
      port: options.port ?? 0,
      ...(options.records === undefined ? {} : { records: options.records }),
      openapi,
      onRequest: (request, response) =>
        log(`${request.method} ${request.url.pathname}${request.url.search} → ${response.status}`),
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    out(`engarde sandbox: cannot listen on 127.0.0.1:${options.port ?? 0} (${code ?? (error as Error).message})`);
    return 1;
  }

  const adapterOptions = running.adapterOptions();
  out(`engarde sandbox: ${meta.id} config-driven emulator listening on ${running.origin}`);
  out(`  base URL      ${running.baseUrl}`);
  out(`  credentials   ${JSON.stringify(adapterOptions.credentials)}`);
  out(`  connection    ${JSON.stringify(adapterOptions.connectionConfig)}`);
  if (adapterOptions.oauthClient) out(`  oauth client  ${JSON.stringify(adapterOptions.oauthClient)}`);
  out(
    `  records       ${options.records ?? 25} per entity (${Object.keys(meta.entities).join(', ')}); built from the config only`,
  );
  out(`  writes        as each entity's config allows; a field set to "${INVALID_VALUE}" is refused with 422`);
  out(`  use           await getAdapterRegistry().create('${meta.id}', ${JSON.stringify(adapterOptions)})`);
  out('Stop with Ctrl-C.');
  options.onListening?.(running);

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      options.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (options.signal?.aborted) stop();
    else options.signal?.addEventListener('abort', stop, { once: true });
  });
  await running.close();
  out(`engarde sandbox: stopped after ${running.requests.length} request(s)`);
  return 0;
}
