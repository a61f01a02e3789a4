/**
 * Job payloads carry ids only, never a secret, and are checked before a task uses them (graphile-worker hands
 * tasks `unknown`).
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ConnectionPayload {
  tenant_id: string;
  connection_id: string;
}

/**
 * @throws Error naming the field that is missing or not a UUID (the job fails without being retried usefully).
 * @example
 * const { tenant_id, connection_id } = assertConnectionPayload(payload);
 */
export function assertConnectionPayload(payload: unknown): ConnectionPayload {
  const p = payload as Partial<ConnectionPayload> | null;
  for (const field of ['tenant_id', 'connection_id'] as const) {
    const value = p?.[field];
    if (typeof value !== 'string' || !UUID.test(value)) throw new Error(`job payload: ${field} must be a UUID`);
  }
  return { tenant_id: (p as ConnectionPayload).tenant_id, connection_id: (p as ConnectionPayload).connection_id };
}

export interface EntityJobPayload extends ConnectionPayload {
  entity_type: string;
}

/**
 * @throws Error naming the field that is missing or malformed.
 * @example
 * const { tenant_id, connection_id, entity_type } = assertEntityJobPayload(payload);
 */
export function assertEntityJobPayload(payload: unknown): EntityJobPayload {
  const ids = assertConnectionPayload(payload);
  const entity = (payload as { entity_type?: unknown }).entity_type;
  if (typeof entity !== 'string' || !/^[A-Za-z0-9_.:-]{1,128}$/.test(entity)) {
    throw new Error('job payload: entity_type must be an entity name');
  }
  return { ...ids, entity_type: entity };
}
