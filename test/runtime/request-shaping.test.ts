import { describe, expect, it } from 'vitest';
import { fillConnectionPlaceholders } from '../../src/runtime/base-url.js';
import { getPath, setPath } from '../../src/runtime/dotted-path.js';
import { encodeForm } from '../../src/runtime/form-encoder.js';
import { applyIncremental, formatSince } from '../../src/runtime/incremental-filter.js';
import { redactHeaders, redactUrl } from '../../src/runtime/secret-redaction.js';
import { makeMeta } from './support/test-meta.js';

describe('encodeForm', () => {
  it.each([
    ['flat fields', { a: '1', b: 2, c: true }, 'a=1&b=2&c=true'],
    [
      'nested objects in brackets',
      { metadata: { plan: 'pro', tier: { x: 1 } } },
      'metadata%5Bplan%5D=pro&metadata%5Btier%5D%5Bx%5D=1',
    ],
    [
      'arrays with indices',
      { items: [{ price: 'p1' }, { price: 'p2' }] },
      'items%5B0%5D%5Bprice%5D=p1&items%5B1%5D%5Bprice%5D=p2',
    ],
    ['null sent empty, undefined left out', { a: null, b: undefined }, 'a='],
  ] as const)('%s', (_name, given, want) => {
    expect(encodeForm(given as Record<string, unknown>)).toBe(want);
  });
});

describe('formatSince', () => {
  const at = new Date('2024-05-01T10:20:30.456Z');
  it.each([
    ['iso8601', '2024-05-01T10:20:30Z'],
    ['iso8601-offset', '2024-05-01T10:20:30+00:00'],
    ['unix-seconds', '1714558830'],
    ['unix-millis', '1714558830456'],
    ['date', '2024-05-01'],
  ] as const)('%s', (format, want) => {
    expect(formatSince(at, format)).toBe(want);
  });
});

describe('applyIncremental', () => {
  it('leaves static query values alone and adds the parameter', () => {
    expect(
      applyIncremental(
        {
          query: { status: 'any' },
          body: undefined,
          incremental: { kind: 'query-param', cursorField: 'u', param: 'updated_at_min', format: 'iso8601' },
        },
        new Date('2024-01-01T00:00:00Z'),
      ),
    ).toEqual({ query: { status: 'any', updated_at_min: '2024-01-01T00:00:00Z' }, body: undefined, headers: {} });
  });

  it('replaces {incremental} in query values (SOQL)', () => {
    const entity = {
      query: { q: 'SELECT Id FROM Account{incremental} ORDER BY Id' },
      body: undefined,
      incremental: {
        kind: 'query-template' as const,
        cursorField: 'SystemModstamp',
        clause: ' WHERE SystemModstamp >= {since}',
        format: 'iso8601' as const,
      },
    };
    expect(applyIncremental(entity, new Date('2024-01-01T00:00:00Z')).query.q).toBe(
      'SELECT Id FROM Account WHERE SystemModstamp >= 2024-01-01T00:00:00Z ORDER BY Id',
    );
    expect(applyIncremental(entity, undefined).query.q).toBe('SELECT Id FROM Account ORDER BY Id');
  });
});

describe('dotted paths', () => {
  it('reads nested values and array indices, own properties only', () => {
    expect(getPath({ a: { b: [{ c: 1 }] } }, 'a.b.0.c')).toBe(1);
    expect(getPath({ a: 1 }, '')).toEqual({ a: 1 });
    expect(getPath({}, 'constructor')).toBeUndefined();
  });

  it('sets without changing the original', () => {
    const original = { v: { first: 1 } };
    expect(setPath(original, 'v.after', 'x')).toEqual({ v: { first: 1, after: 'x' } });
    expect(original).toEqual({ v: { first: 1 } });
    expect(() => setPath({}, '__proto__.x', 1)).toThrow();
  });
});

describe('redaction', () => {
  it('redacts credential headers and keeps the rest', () => {
    expect(
      redactHeaders({
        Authorization: 'Bearer x',
        'X-Api-Key': 'k',
        'X-Shopify-Access-Token': 't',
        'content-type': 'json',
        'x-ratelimit-remaining': '3',
      }),
    ).toEqual({
      Authorization: '[REDACTED]',
      'X-Api-Key': '[REDACTED]',
      'X-Shopify-Access-Token': '[REDACTED]',
      'content-type': 'json',
      'x-ratelimit-remaining': '3',
    });
  });

  it('redacts user-info and secret query values but keeps page tokens', () => {
    const out = redactUrl('https://u:p@api.test/x?access_token=a1&api_key=k1&pageToken=t1&client_secret=s1');
    expect(out).not.toMatch(/a1|k1|s1|u:p/);
    expect(out).toContain('pageToken=t1');
  });
});

describe('applyIncremental without a since', () => {
  it('leaves out a parameter that is only the incremental clause, instead of sending it empty', () => {
    expect(
      applyIncremental(
        {
          query: { filter: '{incremental}', q: 'SELECT Id FROM Lead{incremental}' },
          body: undefined,
          incremental: {
            kind: 'query-template',
            cursorField: 'modifiedTime',
            clause: 'modifiedTime>={since}',
            format: 'unix-millis',
          },
        },
        undefined,
      ).query,
    ).toEqual({ q: 'SELECT Id FROM Lead' });
  });
});

describe('fillConnectionPlaceholders', () => {
  const meta = makeMeta({
    connectionConfig: {
      advertiserId: { type: 'string', description: 'Advertiser.', pattern: '^[0-9]+$', example: '7012' },
    },
  });

  it('fills connection variables and apiVersion in query and body values, deep, leaving {incremental}', () => {
    expect(
      fillConnectionPlaceholders(
        { advertiser_id: '{advertiserId}', q: 'v={apiVersion}{incremental}', nested: [{ id: '{advertiserId}' }], n: 5 },
        meta,
        { advertiserId: '7012' },
      ),
    ).toEqual({ advertiser_id: '7012', q: 'v=v1{incremental}', nested: [{ id: '7012' }], n: 5 });
  });

  it('rejects a connection value that fails its pattern, naming the variable', () => {
    expect(() => fillConnectionPlaceholders({ id: '{advertiserId}' }, meta, { advertiserId: 'x&y=1' })).toThrow(
      /connectionConfig\.advertiserId/,
    );
  });
});
