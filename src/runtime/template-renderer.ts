/** Filling `{name}` placeholders in config templates (header values, URLs, query values). */
import { ConfigurationError } from './errors.js';

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;

export interface TemplateSource {
  /** The value for a placeholder, or `undefined` when it has none. */
  value(name: string): string | undefined;
  /** How to name the placeholder's source in an error, e.g. `credentials.apiKey`. */
  field(name: string): string;
}

/**
 * Fills every `{name}` in `template`. A placeholder without a value is a `ConfigurationError` that names the field
 * (never a value). `purpose` says what needed it, for the message.
 *
 * @example
 * renderTemplate('Bearer {apiKey}', { value: (n) => creds[n], field: (n) => `credentials.${n}` }, 'the Authorization header');
 */
export function renderTemplate(template: string, source: TemplateSource, purpose: string, platformId?: string): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = source.value(name);
    if (value === undefined || value === '') {
      const field = source.field(name);
      throw new ConfigurationError(`${platformId ? `${platformId}: ` : ''}${field} is required for ${purpose}`, {
        field,
        platformId,
      });
    }
    return value;
  });
}

/** Placeholder names in a template, in order. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}
