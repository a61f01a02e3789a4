/**
 * `engarde` — the command line. A thin layer: parse arguments, call the programmatic API, print, set the exit code.
 * User mistakes print as one clear message (exit 2 for config problems), never a stack trace.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { addPlatform } from './commands/add-platform-command.js';
import { DEFAULT_CONFIG_FILE } from './context.js';
import { GeneratorError } from './errors.js';
import { generate, listPlatforms } from './index.js';
import { importOpenApi, platformBasePath, selectionFromPlatform } from './openapi/import-openapi.js';

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

const commands: Record<string, Command> = {
  generate: {
    summary: 'Write generated/adapters/ from the platform configs (or check it with --check).',
    usage: `engarde generate [--only <id>...] [--check] [--force] [--config <file>]

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
      ...configOption,
    },
    async run(values) {
      const started = performance.now();
      const result = await generate({
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
            'Fix: run `npx engarde generate` and commit the result (never edit generated files by hand).',
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
      const platforms = (await listPlatforms({ configFile: values.config as string })).filter(
        (p) => !values.category || p.category === values.category,
      );
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
  --source <url>  where the description is published (recorded in the trimmed file)`,
    options: { source: { type: 'string' }, ...configOption },
    async run(values, [id, specFile]) {
      if (!id || !specFile) throw new GeneratorError('import-openapi: needs <id> and <spec file> (see --help)');
      const platform = (await listPlatforms({ configFile: values.config as string })).find((p) => p.id === id);
      if (!platform) throw new GeneratorError(`import-openapi: no platform "${id}" in ${values.config} (add it first)`);
      const source = (values.source as string | undefined) ?? platform.openapi?.source;
      if (!source)
        throw new GeneratorError("import-openapi: --source <url> is required (the description's published URL)");
      const result = await importOpenApi({
        id,
        specFile: resolve(specFile),
        selection: (spec) => selectionFromPlatform(platform, { basePath: platformBasePath(platform, spec) ?? '' }),
        source: { url: source },
        outFile: join(process.cwd(), 'configs', 'openapi', `${id}.json`),
      });
      console.log(
        `engarde import-openapi: wrote configs/openapi/${id}.json (${result.bytes} bytes); now run \`npx engarde generate --only ${id}\``,
      );
      return 0;
    },
  },
  'add-platform': {
    summary: 'Scaffold a platform entry in the config from flags, then regenerate it.',
    usage: `engarde add-platform <id> --name <name> --category <category> --base-url <url> --auth <kind> [more]

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
      ...configOption,
    },
    async run(values, [id]) {
      if (!id) throw new GeneratorError('add-platform: needs <id> (see --help)');
      const outcome = await addPlatform({ root: process.cwd(), configFile: values.config as string, id, values });
      console.log(outcome.message);
      if (!outcome.complete) return 2;
      return commands.generate!.run({ only: [id], check: false, force: false, config: values.config }, []);
    },
  },
  sandbox: {
    summary: 'Run a platform emulator on loopback to develop against without a live account.',
    usage: `engarde sandbox <id> [--port <n>] [--records <n>] [--faults <spec>] [--seed <n>] [--no-rate-limit]
       engarde sandbox <id> --config-driven [--port <n>] [--records <n>]

  --port <n>        TCP port on 127.0.0.1 (default: a free one)
  --records <n>     records seeded per collection (default 25)
  --faults <spec>   inject faults by rate, e.g. serverError=0.1,rateLimited=0.05,reset=0.02
                    (also timeout, malformedJson, tokenExpired)
  --seed <n>        seed for the fault PRNG (default 1): the same seed gives the same faults
  --no-rate-limit   do not enforce the platform's documented rate limit
  --config-driven   emulate any platform in the config from its config alone (auth, headers, entity paths,
                    pagination, seeded records); --faults, --seed and --no-rate-limit do not apply
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
      const platform = id
        ? (await listPlatforms({ configFile: values.config as string }).catch(() => [])).find((p) => p.id === id)
        : undefined;
      if (values['config-driven']) {
        const { runConfigDrivenSandbox } = await import('../src/sandbox/config-driven/config-driven-sandbox.js');
        const integer = (name: string, max: number): number | undefined | null => {
          const value = values[name] as string | undefined;
          if (value === undefined) return undefined;
          return /^\d+$/.test(value.trim()) && Number(value) <= max ? Number(value) : null;
        };
        const port = integer('port', 65_535);
        const records = integer('records', 100_000);
        if (!id || !platform || port === null || records === null) {
          console.error(
            !id || !platform
              ? `engarde sandbox: --config-driven needs the id of a platform in the config${id ? `; "${id}" is not one` : ''}`
              : `engarde sandbox: --${port === null ? 'port' : 'records'} must be a non-negative integer`,
          );
          return 2;
        }
        return runConfigDrivenSandbox({ meta: platform, root: process.cwd(), port, records });
      }
      try {
        return await runSandbox({
          id,
          port: values.port as string | undefined,
          records: values.records as string | undefined,
          faults: values.faults as string | undefined,
          seed: values.seed as string | undefined,
          noRateLimit: values['no-rate-limit'] as boolean,
          apiVersion: platform?.apiVersion,
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
      const { serveCommand } = await import('../src/service/service-commands.js');
      return serveCommand(values as { port?: string; 'no-worker'?: boolean });
    },
  },
  worker: {
    summary: 'Run background jobs alone (any number of workers share one database; each job runs once).',
    usage: `engarde worker [--concurrency <n>]

  --concurrency <n>   jobs run at once in this process (default 4)`,
    options: { concurrency: { type: 'string' } },
    async run(values) {
      const { workerCommand } = await import('../src/service/service-commands.js');
      return workerCommand(values as { concurrency?: string });
    },
  },
  migrate: {
    summary: "Apply the service database's pending migrations and exit.",
    usage: 'engarde migrate',
    options: {},
    async run() {
      const { migrateCommand } = await import('../src/service/service-commands.js');
      return migrateCommand();
    },
  },
  tenant: {
    summary: 'Create a tenant and print its API key (shown once): engarde tenant create <name>.',
    usage: 'engarde tenant create <name>',
    options: {},
    async run(_values, positionals) {
      const { tenantCommand } = await import('../src/service/service-commands.js');
      return tenantCommand(positionals);
    },
  },
  keys: {
    summary: 'Re-encrypt every stored secret under the first key of ENGARDE_ENCRYPTION_KEYS: engarde keys rotate.',
    usage: `engarde keys rotate

Online (the service keeps running) and resumable: stopped at any moment, run it again to finish.`,
    options: {},
    async run(_values, positionals) {
      const { keysCommand } = await import('../src/service/service-commands.js');
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
