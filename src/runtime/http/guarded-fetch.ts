/**
 * A `fetch` for OAuth token and revocation requests to a host that came from connection config (a self-hosted
 * GitLab's `https://{host}/oauth/token`): the same private-network guard and body cap as the adapter's own
 * requests, on got, shaped as oauth4webapi's `customFetch` wants.
 */
import got, { RequestError } from 'got';
import type { TokenFetch } from '../auth/oauth2-token-client.js';
import { PrivateNetworkError, ResponseBodyError } from '../errors.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from './http-client.js';
import type { PrivateNetworkGuard } from './private-network-guard.js';
import { capResponseSize } from './response-size-cap.js';

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * @example
 * const fetch = guardedFetch(new PrivateNetworkGuard({ platformId: 'gitlab', field: 'connectionConfig.host' }));
 * new OAuth2TokenClient({ …, fetch }); // a token URL on 10.0.0.1 fails with PrivateNetworkError, nothing sent
 */
export function guardedFetch(guard: PrivateNetworkGuard, maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES): TokenFetch {
  return async (url, init) => {
    guard.checkHostname(new URL(url).hostname);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const pending = got(url, {
      method: init.method,
      headers,
      ...(init.body === undefined || init.body === null ? {} : { body: String(init.body) }),
      ...(init.signal ? { signal: init.signal } : {}),
      dnsLookup: guard.lookup,
      throwHttpErrors: false,
      followRedirect: false,
      retry: { limit: 0 },
      responseType: 'buffer',
    });
    const cap = capResponseSize(pending, maxResponseBytes);
    try {
      const response = await pending;
      if (cap.exceeded) throw tooLarge(guard, url, maxResponseBytes, cap.exceeded.status);
      const out = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) out.append(name, v);
      }
      const status = response.statusCode;
      return new Response(NULL_BODY_STATUSES.has(status) ? null : new Uint8Array(response.body), {
        status,
        headers: out,
      });
    } catch (error) {
      if (cap.exceeded) throw tooLarge(guard, url, maxResponseBytes, cap.exceeded.status);
      if (error instanceof RequestError && error.cause instanceof PrivateNetworkError) throw error.cause;
      throw error;
    }
  };
}

function tooLarge(guard: PrivateNetworkGuard, url: string, limit: number, status: number | undefined) {
  return new ResponseBodyError({
    platformId: guard.platformId,
    reason: 'too-large',
    message: `the response body is larger than ${limit} bytes; it was not read`,
    status,
    method: 'POST',
    url,
    limit,
  });
}
