/**
 * A form label from a field's name as the API spells it (`apiKey`, `client_email`, `shop`): words split at case
 * changes, underscores and hyphens, the first capitalised, the rest in lower case, and abbreviations people write in
 * capitals kept that way (`apiKey` → "API key", `clientId` → "Client ID").
 */

/** Words written in a fixed form wherever they appear. */
const KNOWN_WORDS: Readonly<Record<string, string>> = {
  api: 'API',
  id: 'ID',
  ids: 'IDs',
  url: 'URL',
  urls: 'URLs',
  uri: 'URI',
  oauth: 'OAuth',
  aws: 'AWS',
  sid: 'SID',
  gid: 'GID',
  eid: 'EID',
  guid: 'GUID',
  uuid: 'UUID',
  dc: 'DC',
  pds: 'PDS',
  ip: 'IP',
  http: 'HTTP',
  https: 'HTTPS',
  json: 'JSON',
  jwt: 'JWT',
  sso: 'SSO',
  sql: 'SQL',
  smtp: 'SMTP',
  ssl: 'SSL',
  tls: 'TLS',
  pem: 'PEM',
  rest: 'REST',
  iam: 'IAM',
};

/** The words of a field name: `apiKeySid` → ["api", "key", "sid"], `baseURLPath` → ["base", "url", "path"]. */
export function fieldWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_\-.]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/**
 * @example
 * fieldLabel('apiKey'); // 'API key'
 * fieldLabel('clientEmail'); // 'Client email'
 * fieldLabel('oauth_client_id'); // 'OAuth client ID'
 */
export function fieldLabel(name: string): string {
  const words = fieldWords(name);
  if (words.length === 0) return name;
  return words
    .map((word, index) => {
      const known = KNOWN_WORDS[word];
      if (known !== undefined) return index === 0 ? known.charAt(0).toUpperCase() + known.slice(1) : known;
      return index === 0 ? word.charAt(0).toUpperCase() + word.slice(1) : word;
    })
    .join(' ');
}
