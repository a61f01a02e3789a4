/**
 * `instance_url` → `instanceUrl`: how a token-response field becomes a credential name.
 *
 * @example
 * camelCase('instance_url'); // 'instanceUrl'
 */
export function camelCase(name: string): string {
  return name.replace(/[_-]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
