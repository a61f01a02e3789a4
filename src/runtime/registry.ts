/**
 * The registry of platforms: what each is without loading it, and typed construction of its adapter on demand
 * (the generated index passes lazy `import()`s, so only adapters in use are loaded).
 */
import type { AdapterOptions, PlatformInfo, PlatformMeta } from './adapter-types.js';
import type { BaseAdapter, RuntimeOptions } from './base-adapter.js';
import { AdapterError } from './errors.js';

// biome-ignore lint/suspicious/noExplicitAny: any adapter, whatever its entity, credential and config types
export type AnyAdapter = BaseAdapter<any, any, any, any>;

/** Per platform id: its credentials, connection config and adapter class instance types. */
export type AdapterTypeMap = Record<string, { credentials: unknown; connectionConfig: unknown; adapter: AnyAdapter }>;

/** Options for creating one platform's adapter. */
export type AdapterOptionsFor<T extends AdapterTypeMap, Id extends keyof T> = AdapterOptions<
  T[Id]['credentials'],
  T[Id]['connectionConfig']
> &
  RuntimeOptions;

/** An adapter class: constructed from its options. */
export type AdapterConstructor<O = never, A extends AnyAdapter = AnyAdapter> = new (options: O) => A;

export interface RegistryEntry<O = never, A extends AnyAdapter = AnyAdapter> {
  info: PlatformInfo;
  /** Loads the adapter class (typically `() => import('./stripe/index.js').then((m) => m.StripeAdapter)`). */
  load: () => Promise<AdapterConstructor<O, A>>;
}

/** Entries keyed by platform id, each typed by the map. */
export type RegistryEntries<T extends AdapterTypeMap> = {
  [Id in keyof T]: RegistryEntry<AdapterOptionsFor<T, Id>, T[Id]['adapter']>;
};

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Edit distance, for "did you mean" on an unknown id. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = saved;
    }
  }
  return row[b.length] as number;
}

/**
 * @example
 * type Types = { stripe: { credentials: StripeCredentials; connectionConfig: StripeConnectionConfig; adapter: StripeAdapter } };
 * const registry = new AdapterRegistry<Types>({
 *   stripe: { info: { id: 'stripe', name: 'Stripe', category: 'payments', authKind: 'basic', entities: ['customers'] },
 *             load: () => import('./stripe/index.js').then((m) => m.StripeAdapter) },
 * });
 * const stripe = await registry.create('stripe', { credentials: { apiKey }, connectionConfig: {} }); // StripeAdapter
 */
export class AdapterRegistry<T extends AdapterTypeMap = AdapterTypeMap> {
  readonly #entries: ReadonlyMap<string, RegistryEntry<unknown, AnyAdapter>>;
  readonly #loaded = new Map<string, Promise<AdapterConstructor<unknown, AnyAdapter>>>();

  /**
   * @param entries keyed by platform id (typed per id), or a list (its ids must be unique).
   * @throws AdapterError for a duplicate id, or a key that differs from its entry's `info.id`.
   */
  constructor(entries: RegistryEntries<T> | ReadonlyArray<RegistryEntry<never, AnyAdapter>>) {
    const map = new Map<string, RegistryEntry<unknown, AnyAdapter>>();
    const list: Array<[string, RegistryEntry<never, AnyAdapter>]> = Array.isArray(entries)
      ? entries.map((e) => [e.info.id, e])
      : Object.entries(entries as Record<string, RegistryEntry<never, AnyAdapter>>);
    for (const [key, entry] of list) {
      if (key !== entry.info.id)
        throw new AdapterError(`registry entry "${key}" describes platform "${entry.info.id}"`);
      if (map.has(key)) throw new AdapterError(`registry has platform "${key}" twice`);
      map.set(key, entry as RegistryEntry<unknown, AnyAdapter>);
    }
    this.#entries = map;
  }

  /** Every platform, sorted by id. */
  platforms(): PlatformInfo[] {
    return [...this.#entries.keys()].sort(compareIds).map((id) => this.#entries.get(id)?.info as PlatformInfo);
  }

  /** Whether a platform id is registered. */
  has(id: string): id is keyof T & string {
    return this.#entries.has(id);
  }

  /** What the registry knows of a platform; `undefined` for an unknown id. */
  info<Id extends keyof T & string>(id: Id): PlatformInfo;
  info(id: string): PlatformInfo | undefined;
  info(id: string): PlatformInfo | undefined {
    return this.#entries.get(id)?.info;
  }

  /**
   * A platform's full metadata (its validated config, the adapter class's `static meta`), loading its adapter module
   * once.
   *
   * @throws AdapterError for an unknown id.
   * @example
   * const meta = await registry.meta('shopify'); // meta.connectionConfig.shop.pattern, meta.auth.scopes, …
   */
  async meta(id: string): Promise<PlatformMeta> {
    const Adapter = (await this.#load(id)) as unknown as { meta: PlatformMeta };
    return Adapter.meta;
  }

  /**
   * Loads a platform's adapter class (once) and constructs it.
   *
   * @throws AdapterError for an unknown id, saying how to list the known ones.
   * @throws ConfigurationError when the connection config cannot make the platform's base URL.
   */
  async create<Id extends keyof T & string>(id: Id, options: AdapterOptionsFor<T, Id>): Promise<T[Id]['adapter']> {
    const Adapter = await this.#load(id);
    return new Adapter(options) as T[Id]['adapter'];
  }

  #load(id: string): Promise<AdapterConstructor<unknown, AnyAdapter>> {
    const entry = this.#entries.get(id);
    if (!entry) return Promise.reject(this.#unknown(id));
    let loading = this.#loaded.get(id);
    if (!loading) {
      loading = entry.load();
      this.#loaded.set(id, loading);
      loading.catch(() => this.#loaded.delete(id));
    }
    return loading;
  }

  #unknown(id: string): AdapterError {
    const ids = [...this.#entries.keys()];
    const close = ids
      .map((known) => ({ known, d: distance(id, known) }))
      .filter(({ d }) => d <= Math.max(2, Math.floor(id.length / 3)))
      .sort((a, b) => a.d - b.d || compareIds(a.known, b.known))
      .slice(0, 3)
      .map(({ known }) => `"${known}"`);
    const hint = close.length > 0 ? ` Did you mean ${close.join(' or ')}?` : '';
    return new AdapterError(
      `unknown platform "${id}".${hint} registry.platforms() lists the ${ids.length} known ids (also \`engarde list\`).`,
    );
  }
}
