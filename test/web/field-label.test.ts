/** Form labels from the API's field names: what a person reads next to each credential and setting. */
import { describe, expect, it } from 'vitest';
import { fieldLabel, fieldWords } from '../../web/src/field-label.js';

describe('fieldLabel', () => {
  it.each([
    ['apiKey', 'API key'],
    ['accessToken', 'Access token'],
    ['shop', 'Shop'],
    ['clientEmail', 'Client email'],
    ['clientId', 'Client ID'],
    ['privateKey', 'Private key'],
    ['secretAccessKey', 'Secret access key'],
    ['accessKeyId', 'Access key ID'],
    ['apiKeySid', 'API key SID'],
    ['accountSid', 'Account SID'],
    ['instanceUrl', 'Instance URL'],
    ['siteUrl', 'Site URL'],
    ['oauthToken', 'OAuth token'],
    ['idSite', 'ID site'],
    ['apiHost', 'API host'],
    ['projectGid', 'Project GID'],
    ['restaurantGuid', 'Restaurant GUID'],
    ['companyUuid', 'Company UUID'],
    ['dc', 'DC'],
    ['personalAccessToken', 'Personal access token'],
    ['client_email', 'Client email'],
    ['private-key', 'Private key'],
    ['oauth_client_id', 'OAuth client ID'],
    ['baseURL', 'Base URL'],
    ['baseURLPath', 'Base URL path'],
    ['APIKey', 'API key'],
    ['region', 'Region'],
    ['label', 'Label'],
    ['adAccountId', 'Ad account ID'],
    ['koronaAccountId', 'Korona account ID'],
    ['v2Token', 'V2 token'],
  ])('%s → %s', (name, label) => {
    expect(fieldLabel(name)).toBe(label);
  });

  it('keeps a name it cannot split', () => {
    expect(fieldLabel('')).toBe('');
    expect(fieldLabel('__')).toBe('__');
  });
});

describe('fieldWords', () => {
  it.each([
    ['apiKeySid', ['api', 'key', 'sid']],
    ['baseURLPath', ['base', 'url', 'path']],
    ['connection_config.shop', ['connection', 'config', 'shop']],
  ])('%s → %j', (name, words) => {
    expect(fieldWords(name)).toEqual(words);
  });
});
