/**
 * `engarde sandbox <id>`: one platform emulator in the foreground on loopback, optionally with injected faults,
 * until SIGINT or SIGTERM. The CLI parses arguments; this module validates them, starts the server and prints what a
 * developer needs to point an adapter at it.
 */
import type { OAuthEmulatorControl } from './emulator-control.js';
import { type EmulatorHandler, isTransportFault, type RunningEmulator, startEmulator } from './emulator-server.js';
import { type FaultKind, parseFaultSpec, withFaults } from './fault-injector.js';
import { EMULATED_PLATFORMS, emulatedPlatformIds } from './platform-emulators.js';

export interface SandboxCommandOptions {
  id: string | undefined;
  port?: string | undefined;
  records?: string | undefined;
  /** `serverError=0.1,rateLimited=0.05,reset=0.02` */
  faults?: string | undefined;
  seed?: string | undefined;
  /** The adapter's API version (from the platform config), when known. */
  apiVersion?: string | undefined;
  /** Turn the documented rate limit off. */
  noRateLimit?: boolean | undefined;
  /** Where the banner goes (default stdout) and where request lines go (default stderr). */
  out?: (line: string) => void;
  log?: (line: string) => void;
  /** Stops the sandbox (tests); SIGINT and SIGTERM always do. */
  signal?: AbortSignal | undefined;
  /** Called once the server listens. */
  onListening?: (emulator: RunningEmulator) => void;
}

/** A mistake in the command line: printed as is, exit code 2. */
export class SandboxUsageError extends Error {
  override readonly name = 'SandboxUsageError';
  readonly exitCode = 2;
}

function integer(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
    throw new SandboxUsageError(`engarde sandbox: --${name} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/**
 * Runs the sandbox until a signal; resolves with the process exit code.
 * @throws SandboxUsageError for an id without an emulator or a bad option (exit code 2).
 */
export async function runSandbox(options: SandboxCommandOptions): Promise<number> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const ids = emulatedPlatformIds();
  if (!options.id) throw new SandboxUsageError(`engarde sandbox: needs <id>; emulators exist for: ${ids.join(', ')}`);
  const platform = EMULATED_PLATFORMS[options.id];
  if (!platform) {
    throw new SandboxUsageError(
      `engarde sandbox: no emulator for "${options.id}"; emulators exist for: ${ids.join(', ')}`,
    );
  }
  const port = integer('port', options.port, 0, 65_535) ?? 0;
  const records = integer('records', options.records, 0, 100_000);
  const seed = integer('seed', options.seed, 0, 2 ** 32 - 1) ?? 1;
  let rate: Partial<Record<FaultKind, number>> = {};
  try {
    if (options.faults) rate = parseFaultSpec(options.faults);
  } catch (error) {
    throw new SandboxUsageError(`engarde sandbox: --faults: ${(error as Error).message}`);
  }

  const apiVersion = options.apiVersion ?? platform.defaultApiVersion;
  const emulator = platform.create({ records, apiVersion, rateLimit: !options.noRateLimit });
  const faulty = Object.keys(rate).length > 0;
  if (faulty && rate.tokenExpired && !('expireTokens' in emulator.control)) {
    throw new SandboxUsageError(`engarde sandbox: ${platform.id} has no expiring tokens; drop tokenExpired`);
  }
  const inner: EmulatorHandler = faulty ? withFaults(emulator, { rate, seed }) : emulator;
  const logged: EmulatorHandler = async (request) => {
    const started = performance.now();
    const reply = await inner(request);
    const outcome = isTransportFault(reply) ? reply.transport : String(reply.status);
    log(
      `${request.method} ${request.url.pathname}${request.url.search} → ${outcome} (${Math.round(performance.now() - started)} ms)`,
    );
    return reply;
  };
  logged.control = emulator.control;

  let running: RunningEmulator;
  try {
    running = await startEmulator(logged, { port });
  } catch (error) {
    const code = (error as { code?: string }).code;
    out(`engarde sandbox: cannot listen on 127.0.0.1:${port} (${code ?? (error as Error).message})`);
    return 1;
  }

  const baseUrl = `${running.origin}${platform.basePath(apiVersion)}`;
  const control = emulator.control;
  const oauth = 'tokens' in control ? (control as OAuthEmulatorControl) : undefined;
  const adapterOptions = {
    credentials: platform.credentials(control),
    connectionConfig: platform.connectionConfig,
    baseUrl,
    ...(oauth
      ? {
          oauthClient: {
            clientId: oauth.tokens.clientId,
            clientSecret: oauth.tokens.clientSecret,
            tokenUrl: `${running.origin}${oauth.tokenPath}`,
          },
        }
      : {}),
  };
  const faultText = faulty
    ? `${Object.entries(rate)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')} (seed ${seed})`
    : 'none';
  out(`engarde sandbox: ${platform.id} emulator listening on ${running.origin}`);
  out(`  base URL      ${baseUrl}`);
  out(`  credentials   ${JSON.stringify(adapterOptions.credentials)}`);
  out(`  connection    ${JSON.stringify(platform.connectionConfig)}`);
  if (adapterOptions.oauthClient) {
    out(`  oauth client  ${JSON.stringify(adapterOptions.oauthClient)}`);
    const lifetime = oauth?.tokens.lifetimeSeconds;
    out(
      `  tokens        access tokens expire after ${lifetime === undefined ? 'never' : `${lifetime} s`}; refresh at the token URL`,
    );
  }
  out(
    `  records       ${records ?? 25} per collection; rate limits ${options.noRateLimit ? 'off' : 'as documented'}; faults ${faultText}`,
  );
  out(`  use           await getAdapterRegistry().create('${platform.id}', ${JSON.stringify(adapterOptions)})`);
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
