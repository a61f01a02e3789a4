/** Every rate-limit model, by its `model`: the one place a new model is registered (its module holds the rest). */
import { z } from 'zod';
import type { RateLimitConfig } from '../platform-schema.js';
import { costBasedModel } from './cost-based-model.js';
import { fixedWindowModel } from './fixed-window-model.js';
import { leakyBucketModel } from './leaky-bucket-model.js';
import type { RateLimitModelDefinition, RateLimitModelShape, RateLimitSummary } from './rate-limit-model.js';
import { slidingWindowModel } from './sliding-window-model.js';
import { tokenBucketModel } from './token-bucket-model.js';

/**
 * In the order the config schema lists them. A key that is not its shape's `model` literal is a compile error
 * ({@link RateLimitModelTable}); tables elsewhere keyed by `RateLimitModel` fail to compile until a new model is in
 * them.
 */
export const RATE_LIMIT_MODELS = {
  'leaky-bucket': leakyBucketModel,
  'token-bucket': tokenBucketModel,
  'fixed-window': fixedWindowModel,
  'sliding-window': slidingWindowModel,
  'cost-based': costBasedModel,
} as const;

export type RateLimitModel = keyof typeof RATE_LIMIT_MODELS;

/** Each entry is a definition whose shape's `model` is the one it is filed under. */
type ModelTable<T> = {
  readonly [M in keyof T]: RateLimitModelDefinition<RateLimitModelShape & { model: z.ZodLiteral<M & string> }>;
};
type Checked<T extends ModelTable<T>> = T;

/** {@link RATE_LIMIT_MODELS}, checked against {@link ModelTable} at compile time. */
export type RateLimitModelTable = Checked<typeof RATE_LIMIT_MODELS>;

/** The rate-limit models' names, in table order. */
export const RATE_LIMIT_MODEL_NAMES = Object.keys(RATE_LIMIT_MODELS) as RateLimitModel[];

/** One model's config schema: its own fields, then the `common` ones every model shares. */
export type RateLimitModelSchema<M extends RateLimitModel, C extends z.ZodRawShape> = z.ZodObject<
  (typeof RATE_LIMIT_MODELS)[M]['shape'] & C,
  z.core.$strict
>;

type AnyRateLimitModelSchema<C extends z.ZodRawShape> = {
  [M in RateLimitModel]: RateLimitModelSchema<M, C>;
}[RateLimitModel];

/**
 * Every model's config schema, in table order, each with the shared fields: the options of the platform schema's
 * `rateLimit` union.
 *
 * @example
 * z.discriminatedUnion('model', rateLimitModelSchemas({ notes: z.string() }));
 */
export function rateLimitModelSchemas<C extends z.ZodRawShape>(
  common: C,
): [AnyRateLimitModelSchema<C>, ...AnyRateLimitModelSchema<C>[]] {
  return RATE_LIMIT_MODEL_NAMES.map((model) =>
    z.object({ ...RATE_LIMIT_MODELS[model].shape, ...common }).strict(),
  ) as unknown as [AnyRateLimitModelSchema<C>, ...AnyRateLimitModelSchema<C>[]];
}

/**
 * The definition of a config's model. (The one cast of the dispatch: the definition is picked by the config's own
 * `model`, so its methods take that config.)
 *
 * @example
 * rateLimitModelOf(meta.rateLimit).budgets(meta.rateLimit, {});
 */
export function rateLimitModelOf(config: RateLimitConfig): RateLimitModelDefinition<RateLimitModelShape> {
  return RATE_LIMIT_MODELS[config.model] as unknown as RateLimitModelDefinition<RateLimitModelShape>;
}

/**
 * A config's rate limit in words, as its model writes it.
 *
 * @example
 * rateLimitSummary({ model: 'leaky-bucket', capacity: 40, leakPerSecond: 2, … });
 * // { text: 'bucket of 40, leaking 2/s', brief: 'leaky bucket 40, −2/s' }
 */
export function rateLimitSummary(config: RateLimitConfig): RateLimitSummary {
  return rateLimitModelOf(config).summary(config);
}
