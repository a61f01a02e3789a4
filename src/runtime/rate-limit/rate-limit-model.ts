/**
 * The small interface every rate-limit model implements, in one module per model (`leaky-bucket-model.ts`, …): the
 * fields it adds to the `rateLimit` config, and the budgets the limiter keeps for it. `rate-limit-models.ts`
 * registers them; nothing else switches on `rateLimit.model`.
 */
import type { z } from 'zod';
import type { RateBudget, RateLimitPolicyOptions } from './rate-budget.js';

/** A model's own config fields: its `model` literal and its figures (the fields every model shares are added). */
export type RateLimitModelShape = { model: z.ZodLiteral<string> } & z.ZodRawShape;

export interface RateLimitModelDefinition<S extends RateLimitModelShape> {
  /** The model's own fields; `platform-schema.ts` adds the shared ones and builds the `rateLimit` union. */
  readonly shape: S;
  /** The budgets (pure arithmetic) a limiter keeps for the model: one per independent limit. */
  budgets(config: z.output<z.ZodObject<S>>, options: RateLimitPolicyOptions): RateBudget[];
}
