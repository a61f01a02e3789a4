/**
 * Request parts several route modules share (DESIGN.md §4): list limits, the platform in the path, and the
 * `?connection_id=` that picks one of a tenant's connections to it.
 */
import { z } from 'zod';

/** `limit` of a list route: default 100, at most 500. */
export const limitParam = z.coerce.number().int().min(1).max(500).default(100);

/** `{integration_id}`: a platform id. */
export const platformParams = z.object({ integration_id: z.string().min(1).max(100) });

/** `?connection_id=`, optional when the tenant has one connection to the platform. */
export const connectionQuery = z.object({ connection_id: z.uuid().optional() });
