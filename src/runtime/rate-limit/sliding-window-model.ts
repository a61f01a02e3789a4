/** The `sliding-window` rate-limit model: at most `requests` in any `windowSeconds`. */
import { z } from 'zod';
import { windowBudget } from './rate-budget.js';
import type { RateLimitModelDefinition } from './rate-limit-model.js';

const shape = {
  model: z.literal('sliding-window'),
  requests: z.number().int().positive(),
  windowSeconds: z.number().positive(),
};

/**
 * @example
 * slidingWindowModel.budgets({ model: 'sliding-window', requests: 100, windowSeconds: 10 }, {});
 */
export const slidingWindowModel: RateLimitModelDefinition<typeof shape> = {
  shape,
  budgets: (config, options) => [windowBudget(config.requests, config.windowSeconds, '', options)],
  summary: (config) => ({
    text: `${config.requests} requests per ${config.windowSeconds} s (${config.model})`,
    brief: `${config.requests} / ${config.windowSeconds} s (${config.model})`,
  }),
};
