import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { InputError } from '../errors.js';

/** Names of the output kinds, one `templates/<kind>.<ext>.hbs` each. */
export const TEMPLATE_KINDS = ['adapter', 'types', 'registry', 'platforms'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];
const TEMPLATE_EXTENSIONS: Record<TemplateKind, string> = {
  adapter: 'ts',
  types: 'ts',
  registry: 'ts',
  platforms: 'md',
};

export interface TemplateSet {
  render(kind: TemplateKind, model: object): string;
  /** Repository-relative template paths, for generated headers and input hashes. */
  files: Record<TemplateKind, string>;
  /** Every template and partial source, in a fixed order: part of the input hash. */
  sources: string;
}

/**
 * Loads `templates/*.ts.hbs` and `templates/partials/*.hbs` into an isolated Handlebars environment. Templates stay
 * logic-less: only the built-in `each`, `if`, `unless` and partials are allowed (`knownHelpersOnly`), and a missing
 * model field is an error (`strict`), never an empty string.
 *
 * @example
 * const templates = await loadTemplates('/repo/templates');
 * const source = templates.render('adapter', model);
 */
export async function loadTemplates(dir: string): Promise<TemplateSet> {
  const hbs = Handlebars.create();
  const partialDir = join(dir, 'partials');
  const partialNames = (await readdir(partialDir)).filter((f) => f.endsWith('.hbs')).sort();
  const sources: string[] = [];
  for (const file of partialNames) {
    const source = await readFile(join(partialDir, file), 'utf8');
    sources.push(`partials/${file}\n${source}`);
    hbs.registerPartial(file.slice(0, -'.hbs'.length), source);
  }
  const compiled = {} as Record<TemplateKind, Handlebars.TemplateDelegate>;
  const files = {} as Record<TemplateKind, string>;
  for (const kind of TEMPLATE_KINDS) {
    const file = `${kind}.${TEMPLATE_EXTENSIONS[kind]}.hbs`;
    const source = await readFile(join(dir, file), 'utf8').catch((error: unknown) => {
      throw new InputError(`templates/${file}: cannot be read (${(error as NodeJS.ErrnoException).code})`);
    });
    sources.push(`${file}\n${source}`);
    files[kind] = `templates/${file}`;
    compiled[kind] = hbs.compile(source, {
      noEscape: true,
      strict: true,
      knownHelpersOnly: true,
      knownHelpers: { each: true, if: true, unless: true },
      preventIndent: true,
    });
  }
  return {
    files,
    sources: sources.join('\n'),
    render(kind, model) {
      try {
        return compiled[kind](model);
      } catch (error) {
        throw new InputError(`${files[kind]}: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}
