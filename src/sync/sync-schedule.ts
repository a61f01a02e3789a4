/**
 * When an entity syncs on its own: `frequency` from the sync settings — `manual` (never), `every_5_minutes`,
 * `every_15_minutes`, `hourly`, `daily`, or a five-field cron expression (UTC) — turned into the next run time by
 * `cron-parser`. The named frequencies are spread by the connection's id (hourly at a minute of its own, daily at an
 * hour and minute of its own), so a thousand hourly connections do not all start on the hour.
 */
import { createHash } from 'node:crypto';
import { CronExpressionParser } from 'cron-parser';

export const NAMED_FREQUENCIES = ['manual', 'every_5_minutes', 'every_15_minutes', 'hourly', 'daily'] as const;

function spread(connectionId: string, modulo: number, salt: string): number {
  return createHash('sha256').update(`${salt}:${connectionId}`).digest().readUInt32BE(0) % modulo;
}

/**
 * The cron expression a frequency stands for (`undefined` for manual).
 * @throws Error saying what is wrong with a custom expression.
 * @example
 * cronFor('hourly', connectionId); // '37 * * * *'
 */
export function cronFor(frequency: string, connectionId: string): string | undefined {
  switch (frequency) {
    case 'manual':
      return undefined;
    case 'every_5_minutes':
      return `${spread(connectionId, 5, 'm5')}-59/5 * * * *`;
    case 'every_15_minutes':
      return `${spread(connectionId, 15, 'm15')}-59/15 * * * *`;
    case 'hourly':
      return `${spread(connectionId, 60, 'h')} * * * *`;
    case 'daily':
      return `${spread(connectionId, 60, 'dm')} ${spread(connectionId, 24, 'dh')} * * *`;
    default: {
      const fields = frequency.trim().split(/\s+/);
      if (fields.length !== 5) {
        throw new Error(
          `must be manual, every_5_minutes, every_15_minutes, hourly, daily or a cron expression of five fields (minute hour day month weekday); got ${fields.length} fields`,
        );
      }
      try {
        CronExpressionParser.parse(frequency, { tz: 'UTC' });
      } catch (error) {
        throw new Error(`is not a valid cron expression: ${(error as Error).message}`);
      }
      return frequency.trim();
    }
  }
}

/**
 * The first run time after `after`, or `null` for manual.
 * @throws Error for a frequency `cronFor` refuses.
 */
export function nextRunAt(frequency: string, connectionId: string, after: Date): Date | null {
  const cron = cronFor(frequency, connectionId);
  if (cron === undefined) return null;
  return CronExpressionParser.parse(cron, { currentDate: after, tz: 'UTC' }).next().toDate();
}
