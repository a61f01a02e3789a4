/**
 * `engarde sandbox <id>`: one platform emulator in the foreground on loopback, optionally with injected faults,
 * until SIGINT or SIGTERM. The platform's hand-written emulator where one exists, otherwise the config-driven one for
 * any platform in the config (`--config-driven` forces that one); `--faults` and `--seed` work for both. The CLI
 * parses arguments; this module validates them, starts the server and prints what a developer needs to point an
 * adapter at it.
 */
import type { PlatformMeta } from '../runtime/adapter-types.js';
import type { Clock } from './emulator-clock.js';
import { type EmulatorHandler, isTransportFault, type RunningEmulator, startEmulator } from './emulator-server.js';
import { type FaultKind, type FaultStats, parseFaultSpec, withFaults } from './fault-injector.js';
import { EMULATED_PLATFORMS, emulatedPlatformIds } from './platform-emulators.js';
import { configDrivenTarget, handWrittenTarget, type SandboxTarget } from './sandbox-targets.js';

export interface SandboxCommandOptions {
  id: string | undefined;
  port?: string | undefined;
  records?: string | undefined;
  /** `serverError=0.1,rateLimited=0.05,reset=0.02` */
  faults?: string | undefined;
  seed?: string | undefined;
  /** The adapter's API version for a hand-written emulator (default: the platform config's, else the emulator's). */
  apiVersion?: string | undefined;
  /** Turn the platform's rate limit off (every emulator enforces it by default: documented or configured). */
  noRateLimit?: boolean | undefined;
  /** The emulator's clock (default `Date.now`): tests inject `manualClock().now` to drive its rate limit. */
  now?: Clock | undefined;
  /** Serve the config-driven emulator even where a hand-written one exists. */
  configDriven?: boolean | undefined;
  /**
   * The platform's validated config, `undefined` when the config has no such id (the CLI reads the config file).
   * Without it only the hand-written emulators can be served.
   */
  platformConfig?: ((id: string) => Promise<PlatformMeta | undefined>) | undefined;
  /** Repository root, for config-driven platforms' trimmed OpenAPI descriptions (default: the working directory). */
  root?: string | undefined;
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

/** The hand-written emulator for `id`, or the config-driven one; a usage error naming the id when there is neither. */
async function targetFor(
  options: SandboxCommandOptions,
  id: string,
  setup: { records: number | undefined },
): Promise<SandboxTarget> {
  const handWritten = options.configDriven ? undefined : EMULATED_PLATFORMS[id];
  if (handWritten) {
    // The config only tells the API version here, so a config that does not load does not stop the sandbox.
    const meta =
      options.apiVersion === undefined ? await options.platformConfig?.(id).catch(() => undefined) : undefined;
    return handWrittenTarget(handWritten, {
      records: setup.records,
      apiVersion: options.apiVersion ?? meta?.apiVersion ?? handWritten.defaultApiVersion,
      rateLimit: !options.noRateLimit,
      now: options.now,
    });
  }
  const meta = await options.platformConfig?.(id);
  if (meta)
    return configDrivenTarget(meta, {
      records: setup.records,
      root: options.root,
      rateLimit: !options.noRateLimit,
      now: options.now,
    });
  throw new SandboxUsageError(
    options.configDriven
      ? `engarde sandbox: --config-driven needs the id of a platform in the config; "${id}" is not one (see engarde list)`
      : `engarde sandbox: no emulator for "${id}"; emulators exist for: ${emulatedPlatformIds().join(', ')} ` +
          '(hand-written) and every platform in the config (config-driven; see engarde list)',
  );
}

/** Stops when a signal arrives or `signal` aborts. */
function untilStopped(signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
}

/**
 * Runs the sandbox until a signal; resolves with the process exit code.
 *
 * @example
 * await runSandbox({ id: 'airtable', faults: 'serverError=0.1', seed: '7', platformConfig: async (id) => configs[id] });
 * @throws SandboxUsageError for an id with neither emulator, or a bad option (exit code 2).
 */
export async function runSandbox(options: SandboxCommandOptions): Promise<number> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (!options.id) {
    throw new SandboxUsageError(
      `engarde sandbox: needs <id>: a platform in the config (see engarde list); emulators exist for: ${emulatedPlatformIds().join(', ')}`,
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
  const target = await targetFor(options, options.id, { records });
  const { emulator } = target;
  const faulty = Object.keys(rate).length > 0;
  if (faulty && rate.tokenExpired && !('expireTokens' in emulator.control)) {
    throw new SandboxUsageError(`engarde sandbox: ${target.id} has no expiring tokens; drop tokenExpired`);
  }

  const inner = faulty ? withFaults(emulator, { rate, seed }) : emulator;
  const logged: EmulatorHandler & { faults?: FaultStats } = async (request) => {
    const started = performance.now();
    const reply = await inner(request);
    const outcome = isTransportFault(reply) ? reply.transport : String(reply.status);
    log(
      `${request.method} ${request.url.pathname}${request.url.search} → ${outcome} (${Math.round(performance.now() - started)} ms)`,
    );
    return reply;
  };
  logged.control = emulator.control;
  logged.faults = inner.faults as FaultStats | undefined;

  let running: RunningEmulator;
  try {
    running = await startEmulator(logged, { port });
  } catch (error) {
    const code = (error as { code?: string }).code;
    out(`engarde sandbox: cannot listen on 127.0.0.1:${port} (${code ?? (error as Error).message})`);
    return 1;
  }

  const adapterOptions = target.adapterOptions(running.origin);
  const faultText = faulty
    ? `${Object.entries(rate)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')} (seed ${seed})`
    : 'none';
  const kind = target.kind === 'config-driven' ? 'config-driven emulator' : 'emulator';
  out(`engarde sandbox: ${target.id} ${kind} listening on ${running.origin}`);
  out(`  base URL      ${adapterOptions.baseUrl}`);
  out(`  credentials   ${JSON.stringify(adapterOptions.credentials)}`);
  out(`  connection    ${JSON.stringify(adapterOptions.connectionConfig)}`);
  if (adapterOptions.oauthClient) out(`  oauth client  ${JSON.stringify(adapterOptions.oauthClient)}`);
  for (const [label, text] of target.notes) out(`  ${label.padEnd(13)} ${text}`);
  out(`  records       ${target.records}; rate limits ${target.rateLimits}; faults ${faultText}`);
  out(`  use           await getAdapterRegistry().create('${target.id}', ${JSON.stringify(adapterOptions)})`);
  out('Stop with Ctrl-C.');
  options.onListening?.(running);

  await untilStopped(options.signal);
  await running.close();
  out(`engarde sandbox: stopped after ${running.requests.length} request(s)`);
  return 0;
}
