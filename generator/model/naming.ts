/** `google-ads` → `GoogleAds`, `ad_groups` → `AdGroups`. */
export function pascalCase(name: string): string {
  return name
    .split(/[-_]/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/** `ad_groups` → `adGroups`. */
export function camelCaseName(name: string): string {
  const p = pascalCase(name);
  return p[0]!.toLowerCase() + p.slice(1);
}

/**
 * English singular of a plural entity name, for method and type names (`opportunities` → `opportunity`).
 * A config's `singular` overrides it where the rule is wrong.
 */
export function singularize(name: string): string {
  const rules: Array<[RegExp, string]> = [
    [/(us|ss|is)$/, '$1'],
    [/ies$/, 'y'],
    [/(ss|sh|ch|x|z)es$/, '$1'],
    [/([^s])s$/, '$1'],
  ];
  for (const [pattern, replacement] of rules) {
    if (pattern.test(name)) return name.replace(pattern, replacement);
  }
  return name;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A property name as TypeScript source: bare when it is an identifier, quoted otherwise. */
export function propertyKey(name: string): string {
  return IDENTIFIER.test(name) ? name : `'${name.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}
