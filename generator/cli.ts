/**
 * `engarde` — the command line. A thin layer: parse arguments, call the programmatic API, print, set the exit code.
 * User mistakes print as one clear message (exit 2 for config problems), never a stack trace.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG_FILE } from './context.js';
import { GeneratorError } from './errors.js';
import { listPlatforms } from './list-platforms.js';
import { requireGeneratorToolchain } from './toolchain.js';

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  run(values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

const interactive = Boolean(process.stderr.isTTY) && !process.env.CI;
const progress = interactive ? (m: string) => process.stderr.write(`\r\x1b[2K… ${m}`) : undefined;
const endProgress = () => interactive && process.stderr.write('\r\x1b[2K');

const configOption = { config: { type: 'string', default: DEFAULT_CONFIG_FILE } } as const;

/** A config other than this package's own catalogue is a team's: its entries may extend catalogue platforms. */
const teamConfig = (values: Record<string, unknown>) => values.config !== DEFAULT_CONFIG_FILE;

/** The command that regenerates a config's adapters, as hints print it. */
const generateCommand = (values: Record<string, unknown>) =>
  values.out ? `npx engarde generate --config ${values.config} --out ${values.out}` : 'npx engarde generate';

/** The generator proper, loaded only by commands that generate, once its toolchain is known to be installed. */
async function loadGenerator(command: string) {
  requireGeneratorToolchain(command);
  return import('./index.js');
}

class ServiceNotInPackageError extends GeneratorError {
  override readonly exitCode = 2;
}

/**
 * The service's commands exist in a checkout of the repository; the published package holds the adapters, the
 * runtime, the generator and the sandbox.
 */
async function loadService(command: string): Promise<typeof import('../src/service/service-commands.js')> {
  try {
    return await import('../src/service/service-commands.js');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND';
    if (!missing || !String((error as Error).message).includes('service-commands')) throw error;
    throw new ServiceNotInPackageError(
      `engarde ${command}: the service runs from a checkout of the EnGarde repository (git clone, then ` +
        '`npm ci && npm start`); the npm package holds the adapters, the runtime, the generator and the sandbox.',
    );
  }
}

const commands: Record<string, Command> = {
  generate: {
    summary: 'Write generated/adapters/ from the platform configs (or check it with --check).',
    usage: `engarde generate [--only <id>...] [--check] [--force] [--config <file>] [--out <dir>]

  --config <file>  the platform configs (default ${DEFAULT_CONFIG_FILE})
  --out <dir>   generate a team's own adapters into <dir>: they import engarde/runtime, and <dir>/index.ts
                registers them beside engarde's built-in ones (an entry may "extends" a built-in platform)
  --only <id>   regenerate only these platforms' files (repeatable); shared files stay in step
  --check       regenerate in memory and compare with disk; exit 1 on any drift, with a diff
  --force       produce every file even when the manifest says it is up to date
  --no-type-check  skip type-checking the generated code before writing
  --timings     print the time each stage took`,
    options: {
      only: { type: 'string', multiple: true },
      check: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      'no-type-check': { type: 'boolean', default: false },
      timings: { type: 'boolean', default: false },
      out: { type: 'string' },
      ...configOption,
    },
    async run(values) {
      const started = performance.now();
      const { generate } = await loadGenerator('engarde generate');
      const result = await generate({
        outDir: values.out as string | undefined,
        only: values.only as string[] | undefined,
        check: values.check as boolean,
        force: values.force as boolean,
        typeCheck: !(values['no-type-check'] as boolean),
        configFile: values.config as string,
        onProgress: progress,
      });
      endProgress();
      const ms = Math.round(performance.now() - started);
      if (values.timings) {
        console.error(
          Object.entries(result.timings)
            .map(([stage, t]) => `${stage}: ${t} ms`)
            .join(', '),
        );
      }
      if (values.check) {
        if (result.drift.length === 0) {
          console.log(
            `engarde generate --check: ${result.platforms} platforms, generated files are up to date (${ms} ms)`,
          );
          return 0;
        }
        for (const d of result.drift) {
          console.log(`${d.status === 'extra' ? 'extra  ' : d.status === 'missing' ? 'missing' : 'stale  '} ${d.path}`);
        }
        for (const d of result.drift) if (d.diff) console.log(d.diff);
        console.log(
          `engarde generate --check: ${result.drift.length} file(s) differ from what the generator writes.\n` +
            `Fix: run \`${generateCommand(values)}\` and commit the result (never edit generated files by hand).`,
        );
        return 1;
      }
      console.log(
        `engarde generate: ${result.platforms} platforms, ${result.written.length} written, ` +
          `${result.deleted.length} deleted, ${result.unchanged} unchanged (${ms} ms)`,
      );
      return 0;
    },
  },
  list: {
    summary: 'List the configured platforms.',
    usage: 'engarde list [--category <category>] [--json] [--config <file>]',
    options: { category: { type: 'string' }, json: { type: 'boolean', default: false }, ...configOption },
    async run(values) {
      const platforms = (
        await listPlatforms({ configFile: values.config as string, allowExtends: teamConfig(values) })
      ).filter((p) => !values.category || p.category === values.category);
      if (values.json) {
        const rows = platforms.map((p) => ({
          id: p.id,
          name: p.name,
          category: p.category,
          auth: p.auth.kind,
          entities: Object.keys(p.entities).sort(),
        }));
        console.log(JSON.stringify(rows, null, 2));
        return 0;
      }
      const width = Math.max(2, ...platforms.map((p) => p.id.length));
      for (const p of platforms) {
        console.log(
          `${p.id.padEnd(width)}  ${p.category.padEnd(18)}  ${p.auth.kind.padEnd(8)}  ${Object.keys(p.entities).sort().join(', ')}`,
        );
      }
      console.log(`${platforms.length} platform(s)`);
      return 0;
    },
  },
  'import-openapi': {
    summary: "Trim a platform's official OpenAPI description to what its config uses: configs/openapi/<id>.json.",
    usage: `engarde import-openapi <id> <spec file> --source <url> [--config <file>]

  <spec file>     the official description (JSON)
  --source <url>  where the description is published (recorded in the trimmed file)
  Writes the file the entry's openapi.file names (default configs/openapi/<id>.json).`,
    options: { source: { type: 'string' }, ...configOption },
    async run(values, [id, specFile]) {
      if (!id || !specFile) throw new GeneratorError('import-openapi: needs <id> and <spec file> (see --help)');
      const { importOpenApi, platformBasePath, selectionFromPlatform } = await import('./openapi/import-openapi.js');
      const platforms = await listPlatforms({ configFile: values.config as string, allowExtends: teamConfig(values) });
      const platform = platforms.find((p) => p.id === id);
      if (!platform) throw new GeneratorError(`import-openapi: no platform "${id}" in ${values.config} (add it first)`);
      const outFile = platform.openapi?.file ?? `configs/openapi/${id}.json`;
      const source = (values.source as string | undefined) ?? platform.openapi?.source;
      if (!source)
        throw new GeneratorError("import-openapi: --source <url> is required (the description's published URL)");
      const result = await importOpenApi({
        id,
        specFile: resolve(specFile),
        selection: (spec) => selectionFromPlatform(platform, { basePath: platformBasePath(platform, spec) ?? '' }),
        source: { url: source },
        outFile: join(process.cwd(), outFile),
      });
      const regenerate = teamConfig(values)
        ? `npx engarde generate --config ${values.config} --out <dir>`
        : 'npx engarde generate';
      console.log(
        `engarde import-openapi: wrote ${outFile} (${result.bytes} bytes); now run \`${regenerate} --only ${id}\``,
      );
      return 0;
    },
  },
  'add-platform': {
    summary: 'Scaffold a platform entry in the config from flags, then regenerate it.',
    usage: `engarde add-platform <id> --name <name> --category <category> --base-url <url> --auth <kind> [more]

  --config <file>      the config to add it to (created when missing; default ${DEFAULT_CONFIG_FILE})
  --out <dir>          where a team's own adapters are generated (see engarde generate --help)

  --auth <kind>        oauth2 | api_key | bearer | basic
  --docs-url <url>     API reference
  --api-version <v>    current API version
  --description <text>
  --entity <name>=<path>   an entity and its list path (repeatable), e.g. --entity customers=/customers
  --records-path <p>   where records sit in a page (default: the page is the array)
  --id-field <f>       record id field (default id)
  Whatever the flags do not say is left out: the command lists each missing field, by JSON pointer, to fill in.`,
    options: {
      name: { type: 'string' },
      category: { type: 'string' },
      'base-url': { type: 'string' },
      auth: { type: 'string' },
      'docs-url': { type: 'string' },
      'api-version': { type: 'string' },
      description: { type: 'string' },
      entity: { type: 'string', multiple: true },
      'records-path': { type: 'string' },
      'id-field': { type: 'string' },
      out: { type: 'string' },
      ...configOption,
    },
    async run(values, [id]) {
      if (!id) throw new GeneratorError('add-platform: needs <id> (see --help)');
      requireGeneratorToolchain('engarde add-platform');
      const { addPlatform } = await import('./commands/add-platform-command.js');
      const configFile = values.config as string;
      const generateWith = generateCommand(values);
      const outcome = await addPlatform({ root: process.cwd(), configFile, id, values, generateCommand: generateWith });
      console.log(outcome.message);
      if (!outcome.complete) return 2;
      const again = { only: [id], check: false, force: false, config: configFile, out: values.out };
      return commands.generate!.run(again, []);
    },
  },
  sandbox: {
    summary: 'Run a platform emulator on loopback to develop against without a live account.',
    usage: `engarde sandbox <id> [--port <n>] [--records <n>] [--faults <spec>] [--seed <n>] [--no-rate-limit]
                     [--config-driven]

  <id>              a platform in the config: its hand-written emulator where one exists (google-ads, hubspot,
                    meta-ads, salesforce, shopify, stripe), otherwise the config-driven one, built from its config
                    alone (auth, headers, entity paths, pagination, rate limit, writes, seeded records)
  --port <n>        TCP port on 127.0.0.1 (default: a free one)
  --records <n>     records seeded per collection (default 25)
  --faults <spec>   inject faults by rate, e.g. serverError=0.1,rateLimited=0.05,reset=0.02
                    (also timeout, malformedJson, tokenExpired where tokens expire); any platform
  --seed <n>        seed for the fault PRNG (default 1): the same seed gives the same faults
  --no-rate-limit   do not enforce the platform's rate limit (every emulator enforces it by default: the
                    hand-written ones as documented, the config-driven one as the config's rateLimit says)
  --config-driven   serve the config-driven emulator even where a hand-written one exists
  Prints the base URL, credentials and OAuth client to use; stops on Ctrl-C (SIGINT) or SIGTERM.`,
    options: {
      port: { type: 'string' },
      records: { type: 'string' },
      faults: { type: 'string' },
      seed: { type: 'string' },
      'no-rate-limit': { type: 'boolean', default: false },
      'config-driven': { type: 'boolean', default: false },
      ...configOption,
    },
    async run(values, [id]) {
      const { runSandbox, SandboxUsageError } = await import('../src/sandbox/sandbox-command.js');
      try {
        return await runSandbox({
          id,
          port: values.port as string | undefined,
          records: values.records as string | undefined,
          faults: values.faults as string | undefined,
          seed: values.seed as string | undefined,
          noRateLimit: values['no-rate-limit'] as boolean,
          configDriven: values['config-driven'] as boolean,
          platformConfig: async (wanted) =>
            (await listPlatforms({ configFile: values.config as string })).find((p) => p.id === wanted),
          root: process.cwd(),
        });
      } catch (error) {
        if (!(error instanceof SandboxUsageError)) throw error;
        console.error(error.message);
        return error.exitCode;
      }
    },
  },
  serve: {
    summary: 'Run the service: the REST API and the marketplace page (embedded Postgres without DATABASE_URL).',
    usage: `engarde serve [--port <n>] [--no-worker]

  --port <n>     listen on this port (default: PORT, else 3000)
  --no-worker    do not run background jobs in this process (run \`engarde worker\` elsewhere)

Settings come from the environment (DATABASE_URL, HOST, PORT, ENGARDE_PUBLIC_URL, ENGARDE_ENCRYPTION_KEYS,
ENGARDE_ALLOW_PRIVATE_NETWORK, ENGARDE_PLATFORM_OVERRIDES, …; see the README). Stops cleanly on SIGINT/SIGTERM.`,
    options: { port: { type: 'string' }, 'no-worker': { type: 'boolean', default: false } },
    async run(values) {
      const { serveCommand } = await loadService('serve');
      return serveCommand(values as { port?: string; 'no-worker'?: boolean });
    },
  },
  worker: {
    summary: 'Run background jobs alone (any number of workers share one database; each job runs once).',
    usage: `engarde worker [--concurrency <n>]

  --concurrency <n>   jobs run at once in this process (default 4)`,
    options: { concurrency: { type: 'string' } },
    async run(values) {
      const { workerCommand } = await loadService('worker');
      return workerCommand(values as { concurrency?: string });
    },
  },
  migrate: {
    summary: "Apply the service database's pending migrations and exit.",
    usage: 'engarde migrate',
    options: {},
    async run() {
      const { migrateCommand } = await loadService('migrate');
      return migrateCommand();
    },
  },
  tenant: {
    summary: 'Create a tenant and print its API key (shown once): engarde tenant create <name>.',
    usage: 'engarde tenant create <name>',
    options: {},
    async run(_values, positionals) {
      const { tenantCommand } = await loadService('tenant');
      return tenantCommand(positionals);
    },
  },
  keys: {
    summary: 'Re-encrypt every stored secret under the first key of ENGARDE_ENCRYPTION_KEYS: engarde keys rotate.',
    usage: `engarde keys rotate

Online (the service keeps running) and resumable: stopped at any moment, run it again to finish.`,
    options: {},
    async run(_values, positionals) {
      const { keysCommand } = await loadService('keys');
      return keysCommand(positionals);
    },
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'engarde — typed adapters for SaaS platforms',
    '',
    'Usage: engarde <command> [options]   (engarde <command> --help for its options)',
    '',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  if (name === '--version') {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8').catch(() => '{}')) as {
      version?: string;
    };
    console.log(pkg.version ?? 'unknown');
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`engarde: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`${command.summary}\n\nUsage: ${command.usage}`);
    return 0;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: command.options,
      allowPositionals: true,
      strict: true,
    });
    return await command.run(values, positionals);
  } catch (error) {
    endProgress();
    if (error instanceof GeneratorError && error.userFacing) {
      console.error(error.message);
      return error.exitCode;
    }
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`engarde ${name}: ${(error as Error).message}\n\nUsage: ${command.usage}`);
      return 2;
    }
    console.error(error);
    return 1;
  }
}
