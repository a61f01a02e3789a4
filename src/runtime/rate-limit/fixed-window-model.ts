/** The `fixed-window` rate-limit model: `requests` per window of `windowSeconds`, aligned by the platform. */
import { z } from 'zod';
import { windowBudget } from './rate-budget.js';
import type { RateLimitModelDefinition } from './rate-limit-model.js';

const shape = {
  model: z.literal('fixed-window'),
  requests: z.number().int().positive(),
  windowSeconds: z.number().positive(),
};

/**
 * A window budget never lets more than N requests into any interval of W seconds, so it is the same budget as a
 * sliding window's.
 *
 * @example
 * fixedWindowModel.budgets({ model: 'fixed-window', requests: 100, windowSeconds: 1 }, { safetyMarginMs: 0 });
 * // [{ suffix: '', unitMs: 10.1, limitMs: 20.2, burst: 2, … }]
 */
export const fixedWindowModel: RateLimitModelDefinition<typeof shape> = {
  shape,
  budgets: (config, options) => [windowBudget(config.requests, config.windowSeconds, '', options)],
  summary: (config) => ({
    text: `${config.requests} requests per ${config.windowSeconds} s (${config.model})`,
    brief: `${config.requests} / ${config.windowSeconds} s (${config.model})`,
  }),
};
