/**
 * Sync frequencies: the named ones spread by connection id (never all on the hour), custom cron expressions in UTC,
 * and every other string refused with a reason.
 */
import { describe, expect, it } from 'vitest';
import { cronFor, nextRunAt } from '../../src/sync/sync-schedule.js';

const connection = '6f1c2a52-27f4-4f47-9d55-6d2b6c1b3a10';
const at = new Date('2026-03-04T05:06:07Z');

describe('nextRunAt', () => {
  it.each([
    ['every_5_minutes', 5 * 60_000],
    ['every_15_minutes', 15 * 60_000],
    ['hourly', 3600_000],
    ['daily', 24 * 3600_000],
  ])('%s runs within its period, and the run after comes one period later', (frequency, period) => {
    const next = nextRunAt(frequency, connection, at) as Date;
    expect(next.getTime()).toBeGreaterThan(at.getTime());
    expect(next.getTime() - at.getTime()).toBeLessThanOrEqual(period);
    expect((nextRunAt(frequency, connection, next) as Date).getTime() - next.getTime()).toBe(period);
  });

  it('never schedules manual syncs', () => {
    expect(nextRunAt('manual', connection, at)).toBeNull();
  });

  it('takes a cron expression as written, in UTC', () => {
    expect(nextRunAt('30 2 * * 1', connection, at)?.toISOString()).toBe('2026-03-09T02:30:00.000Z');
  });

  it('spreads hourly connections over the hour', () => {
    const minutes = new Set(
      Array.from({ length: 40 }, (_, i) => cronFor('hourly', `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)),
    );
    expect(minutes.size).toBeGreaterThan(20);
  });

  it.each([
    ['sometimes', /five fields/],
    ['* * * *', /five fields/],
    ['61 * * * *', /not a valid cron/],
    ['* * * * * *', /five fields/],
  ])('refuses %j, saying why', (frequency, reason) => {
    expect(() => nextRunAt(frequency, connection, at)).toThrow(reason);
  });
});
