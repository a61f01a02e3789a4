/**
 * Evaluates every alert rule across every tenant: per rule, one transaction that takes the rule's advisory lock (two
 * evaluators at once queue up instead of opening an alert twice), runs the rule's aggregate query, and opens,
 * refreshes and resolves its alerts with their deliveries. A rule that fails leaves the others to run; the
 * evaluation then fails, naming it.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import { ALERT_RULES, type AlertRule } from './alert-rules.js';
import { applyConditions, type RuleOutcome } from './alert-store.js';

export interface EvaluationResult {
  outcomes: RuleOutcome[];
  failures: Array<{ rule: string; error: Error }>;
}

/**
 * @example
 * const { outcomes, failures } = await evaluateAlerts(ctx.db, ctx.now());
 * for (const o of outcomes) console.log(o.rule, o.opened.length, o.resolved.length);
 */
export async function evaluateAlerts(
  db: Kysely<Database>,
  now: Date,
  rules: readonly AlertRule[] = ALERT_RULES,
): Promise<EvaluationResult> {
  const result: EvaluationResult = { outcomes: [], failures: [] };
  for (const rule of rules) {
    try {
      const outcome = await db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtext(${`engarde-alerts:${rule.name}`})::bigint)`.execute(trx);
        const conditions = await rule.evaluate(trx, now);
        return applyConditions(trx, rule.name, rule.severity, conditions, now);
      });
      result.outcomes.push(outcome);
    } catch (error) {
      result.failures.push({ rule: rule.name, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }
  return result;
}
