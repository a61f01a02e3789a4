/**
 * Every migration, by name. Names are date-prefixed, so kysely's Migrator applies them in order; a new migration is
 * a new file listed here, never an edit of an applied one.
 */
import type { Migration } from 'kysely';
import * as serviceFoundation from './2026-12-07-0001-service-foundation.js';
import * as workerHeartbeats from './2026-12-07-0002-worker-heartbeats.js';
import * as syncEngine from './2026-12-07-0003-sync-engine.js';
import * as alerts from './2026-12-07-0004-alerts.js';
import * as webhookInbound from './2026-12-07-0005-webhook-inbound.js';
import * as webhookSubscriptions from './2026-12-07-0006-webhook-subscriptions.js';

export const migrations: Record<string, Migration> = {
  '2026-12-07-0001-service-foundation': serviceFoundation,
  '2026-12-07-0002-worker-heartbeats': workerHeartbeats,
  '2026-12-07-0003-sync-engine': syncEngine,
  '2026-12-07-0004-alerts': alerts,
  '2026-12-07-0005-webhook-inbound': webhookInbound,
  '2026-12-07-0006-webhook-subscriptions': webhookSubscriptions,
};
