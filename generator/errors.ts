/**
 * Errors a user can fix print as plain messages, without a stack; anything else is a bug and keeps its stack.
 */
export class GeneratorError extends Error {
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number = 1;
  /** True when the message alone is enough: the CLI prints it without a stack trace. */
  readonly userFacing: boolean = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One problem in a config file, located by file, platform id and JSON pointer. */
export interface ConfigIssue {
  file: string;
  platformId: string;
  /** RFC 6901 pointer inside the platform entry, e.g. `/auth/tokenUrl` (empty for the entry itself). */
  pointer: string;
  message: string;
}

/** Formats one issue the way the CLI prints it: `<file>: <platform id> <json pointer>: <message>`. */
export function formatConfigIssue(issue: ConfigIssue): string {
  return `${issue.file}: ${issue.platformId} ${issue.pointer || '/'}: ${issue.message}`;
}

/** A config file that cannot be read or parsed at all. */
export class ConfigError extends GeneratorError {
  override readonly exitCode = 2;
}

/** Every problem found in the configs, reported at once. */
export class ConfigValidationError extends GeneratorError {
  override readonly exitCode = 2;
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(issues.map(formatConfigIssue).join('\n'));
    this.issues = issues;
  }
}

/** Generated code that does not type-check: names each platform and the diagnostics. */
export class GeneratedTypeError extends GeneratorError {
  readonly platforms: readonly string[];
  constructor(platforms: readonly string[], diagnostics: string) {
    super(`generated code does not type-check (platforms: ${platforms.join(', ') || 'shared files'}):\n${diagnostics}`);
    this.platforms = platforms;
  }
}

/** A template, OpenAPI description or other generator input that cannot be used. */
export class InputError extends GeneratorError {}
