/**
 * The small interface every rate-limit model implements, in one module per model (`leaky-bucket-model.ts`, …): the
 * fields it adds to the `rateLimit` config, the budgets the limiter keeps for it, and how the limit reads in words.
 * `rate-limit-models.ts` registers them; nothing else switches on `rateLimit.model` (the sandbox's emulation of each
 * model is keyed by the same names, in `src/sandbox/rate-limit-emulations.ts`).
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
  /** The limit in words, for the registry API and the docs' platform table. */
  summary(config: z.output<z.ZodObject<S>>): RateLimitSummary;
}

/** A rate limit in words, in the two forms its readers show. */
export interface RateLimitSummary {
  /** The registry API's `rate_limit.summary`: `bucket of 40, leaking 2/s`. */
  text: string;
  /** The `docs/platforms.md` table cell, shorter: `leaky bucket 40, −2/s`. */
  brief: string;
}
