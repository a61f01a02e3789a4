/** The `leaky-bucket` rate-limit model: a bucket of `capacity` that leaks `leakPerSecond` (Shopify REST). */
import { z } from 'zod';
import { bucketBudget } from './rate-budget.js';
import type { RateLimitModelDefinition } from './rate-limit-model.js';

const shape = {
  model: z.literal('leaky-bucket'),
  capacity: z.number().positive(),
  leakPerSecond: z.number().positive(),
};

/**
 * @example
 * leakyBucketModel.budgets({ model: 'leaky-bucket', capacity: 40, leakPerSecond: 2 }, { safetyMarginMs: 0 });
 * // [{ suffix: '', unitMs: 500, limitMs: 20000, burst: 40, … }]
 */
export const leakyBucketModel: RateLimitModelDefinition<typeof shape> = {
  shape,
  budgets: (config, options) => [bucketBudget(config.capacity, config.leakPerSecond, options)],
  summary: (config) => ({
    text: `bucket of ${config.capacity}, leaking ${config.leakPerSecond}/s`,
    brief: `leaky bucket ${config.capacity}, −${config.leakPerSecond}/s`,
  }),
};
