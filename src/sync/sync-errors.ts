/**
 * Which failures a sync or push job retries (graphile-worker backs off exponentially) and which end it at once: a
 * platform's refusal of the credentials or of a request (4xx), a broken listing or configuration will not mend by
 * waiting; a 5xx, a 429, a dropped connection, a timeout or a database that went away will.
 */
import {
  ApiError,
  AuthenticationError,
  ConnectionError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
} from '../runtime/errors.js';

export function isRetryable(error: unknown): boolean {
  if (error instanceof RateLimitError || error instanceof ServerError || error instanceof ConnectionError) return true;
  if (error instanceof ApiError) return error.status === 408 || error.status === 409 || error.status === 423;
  if (error instanceof Error && error.name.endsWith('Error') && 'platformId' in error) return false; // other adapter errors
  // Anything else (the database restarting, a socket closed under us) is worth another attempt.
  return true;
}

/** Whether the platform refused the credentials (the connection needs the user, not a retry). */
export function isAuthFailure(error: unknown): boolean {
  return error instanceof AuthenticationError || error instanceof PermissionDeniedError;
}

/** A one-line description for status rows and the API: adapter errors are already redacted; never a stack. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return message.length > 1000 ? `${message.slice(0, 1000)}…` : message;
}
