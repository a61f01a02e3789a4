/** The `cost-based` rate-limit model: `points` per window, each request costing what the platform reports. */
import { z } from 'zod';
import { windowBudget } from './rate-budget.js';
import type { RateLimitModelDefinition } from './rate-limit-model.js';

const shape = {
  model: z.literal('cost-based'),
  /** Points a window allows; the platform reports what each request cost. */
  points: z.number().positive(),
  windowSeconds: z.number().positive(),
  /** A request-rate ceiling that applies regardless of cost. */
  requestsPerSecond: z.number().positive().optional(),
};

/**
 * The points as a window budget, plus `requestsPerSecond` as a one-second window without burst (key suffix `:rps`).
 *
 * @example
 * costBasedModel.budgets({ model: 'cost-based', points: 1000, windowSeconds: 60, requestsPerSecond: 10 }, {});
 * // [{ suffix: '', … }, { suffix: ':rps', … }]
 */
export const costBasedModel: RateLimitModelDefinition<typeof shape> = {
  shape,
  budgets: (config, options) => {
    const budgets = [windowBudget(config.points, config.windowSeconds, '', options)];
    if (config.requestsPerSecond !== undefined)
      budgets.push(windowBudget(config.requestsPerSecond, 1, ':rps', { ...options, windowBurstFraction: 0 }));
    return budgets;
  },
  summary: (config) => ({
    text: `${config.points} points per ${config.windowSeconds} s${config.requestsPerSecond ? `, at most ${config.requestsPerSecond} requests/s` : ''}`,
    brief: `${config.points} points / ${config.windowSeconds} s`,
  }),
};
