import { getPath } from '../dotted-path.js';
import type { PlatformConfig } from '../platform-schema.js';

export type ErrorBodyConfig = NonNullable<PlatformConfig['errorBody']>;

/** An error a platform reported in a 2xx body, and the HTTP status it stands for. */
export interface BodyError {
  /** 401, 403, 404 or 429 when the code maps to one; otherwise 200 (the body said it failed, with no better status). */
  status: number;
  code: string | undefined;
  message: string;
}

/**
 * Reads a response body for an error the platform's `errorBody` config describes. On a 2xx, the body is an error when
 * it meets `when`; on an error status, only its code matters. Returns the status the error stands for (401, 403, 404
 * or 429 when its code maps to one; a 2xx error with an unmapped code stands for 200, an error status keeps its own).
 *
 * @example
 * detectBodyError({ when: { path: 'ok', equals: false }, messagePath: 'error', codePath: 'error',
 *   codes: { authentication: ['invalid_auth'], permission: [], notFound: [], rateLimited: ['ratelimited'] } },
 *   { ok: false, error: 'invalid_auth' }, true); // { status: 401, code: 'invalid_auth', message: 'invalid_auth' }
 */
export function detectBodyError(
  config: ErrorBodyConfig | undefined,
  body: unknown,
  ok: boolean,
): BodyError | undefined {
  if (!config || body === null || typeof body !== 'object') return undefined;
  if (ok) {
    const flag = getPath(body, config.when.path);
    const isError =
      config.when.equals === undefined
        ? flag !== undefined && flag !== null && !(Array.isArray(flag) && flag.length === 0)
        : flag === config.when.equals;
    if (!isError) return undefined;
  }
  const rawCode = config.codePath ? getPath(body, config.codePath) : undefined;
  const code = rawCode === undefined || rawCode === null ? undefined : String(rawCode);
  const { codes } = config;
  const mapped =
    code === undefined
      ? undefined
      : codes.authentication.includes(code)
        ? 401
        : codes.permission.includes(code)
          ? 403
          : codes.notFound.includes(code)
            ? 404
            : codes.rateLimited.includes(code)
              ? 429
              : undefined;
  if (!ok && mapped === undefined) return undefined;
  const rawMessage = getPath(body, config.messagePath);
  const message =
    typeof rawMessage === 'string' && rawMessage !== '' ? rawMessage : (code ?? 'error reported in the response body');
  return { status: mapped ?? 200, code, message };
}
