import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  AdapterError,
  type AdapterOptions,
  AdapterRegistry,
  BaseAdapter,
  type PlatformInfo,
  type PlatformMeta,
} from '../../src/runtime/index.js';
import { makeMeta } from './support/test-meta.js';

type ZetaCredentials = { token: string };
type ZetaConfig = Record<string, never>;
class ZetaAdapter extends BaseAdapter<{ customers: { id: string } }, ZetaCredentials, ZetaConfig> {
  static readonly meta: PlatformMeta = makeMeta({ id: 'zeta' });
  constructor(options: AdapterOptions<ZetaCredentials, ZetaConfig>) {
    super(ZetaAdapter.meta, options);
  }
  zetaOnly(): string {
    return 'zeta';
  }
}

type AlphaCredentials = { apiKey: string };
class AlphaAdapter extends BaseAdapter<{ items: { id: string } }, AlphaCredentials, ZetaConfig> {
  static readonly meta: PlatformMeta = makeMeta({
    id: 'alpha',
    auth: { kind: 'api_key', in: 'header', name: 'X-Key' },
  });
  constructor(options: AdapterOptions<AlphaCredentials, ZetaConfig>) {
    super(AlphaAdapter.meta, options);
  }
}

type Types = {
  zeta: { credentials: ZetaCredentials; connectionConfig: ZetaConfig; adapter: ZetaAdapter };
  alpha: { credentials: AlphaCredentials; connectionConfig: ZetaConfig; adapter: AlphaAdapter };
};

const info = (id: string, authKind: PlatformInfo['authKind']): PlatformInfo => ({
  id,
  name: id,
  category: 'payments',
  authKind,
  entities: ['customers'],
});

let loads = 0;
const registry = new AdapterRegistry<Types>({
  zeta: {
    info: info('zeta', 'bearer'),
    load: async () => {
      loads++;
      return ZetaAdapter;
    },
  },
  alpha: { info: info('alpha', 'api_key'), load: async () => AlphaAdapter },
});

const created: BaseAdapter[] = [];
afterEach(async () => {
  await Promise.all(created.splice(0).map((a) => a.close()));
});

describe('AdapterRegistry', () => {
  it('lists platforms sorted by id', () => {
    expect(registry.platforms().map((p) => p.id)).toEqual(['alpha', 'zeta']);
  });

  it('answers has and info', () => {
    expect(registry.has('zeta')).toBe(true);
    expect(registry.has('nope')).toBe(false);
    expect(registry.info('alpha')?.authKind).toBe('api_key');
    expect(registry.info('nope')).toBeUndefined();
  });

  it('creates a typed adapter, loading its class once', async () => {
    const a = await registry.create('zeta', { credentials: { token: 't' }, connectionConfig: {} });
    const b = await registry.create('zeta', {
      credentials: { token: 't' },
      connectionConfig: {},
      baseUrl: 'http://127.0.0.1:1',
    });
    created.push(a, b);
    expectTypeOf(a).toEqualTypeOf<ZetaAdapter>();
    expect(a.zetaOnly()).toBe('zeta');
    expect(b.baseUrl).toBe('http://127.0.0.1:1');
    expect(loads).toBe(1);
    // @ts-expect-error: alpha takes an apiKey, not a token
    const wrong = () => registry.create('alpha', { credentials: { token: 't' }, connectionConfig: {} });
    expect(wrong).toBeTypeOf('function');
  });

  it('rejects an unknown id, suggesting close ids and how to list them', async () => {
    const error = await registry
      .create('zetta' as 'zeta', { credentials: { token: 't' }, connectionConfig: {} })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdapterError);
    expect((error as Error).message).toMatch(
      /unknown platform "zetta"\. Did you mean "zeta"\?.*registry\.platforms\(\)/,
    );
  });

  it('rejects an entry filed under another id', () => {
    expect(
      () =>
        new AdapterRegistry([
          { info: info('a', 'bearer'), load: async () => ZetaAdapter },
          { info: info('a', 'bearer'), load: async () => ZetaAdapter },
        ]),
    ).toThrow(/twice/);
  });
});
