/** The `token-bucket` rate-limit model: a bucket of `capacity` tokens refilled at `refillPerSecond`. */
import { z } from 'zod';
import { bucketBudget } from './rate-budget.js';
import type { RateLimitModelDefinition } from './rate-limit-model.js';

const shape = {
  model: z.literal('token-bucket'),
  capacity: z.number().positive(),
  refillPerSecond: z.number().positive(),
};

/**
 * @example
 * tokenBucketModel.budgets({ model: 'token-bucket', capacity: 10, refillPerSecond: 5 }, {});
 */
export const tokenBucketModel: RateLimitModelDefinition<typeof shape> = {
  shape,
  budgets: (config, options) => [bucketBudget(config.capacity, config.refillPerSecond, options)],
  summary: (config) => ({
    text: `bucket of ${config.capacity}, refilling ${config.refillPerSecond}/s`,
    brief: `token bucket ${config.capacity}, +${config.refillPerSecond}/s`,
  }),
};
