/**
 * Token renewal beyond one adapter instance.
 *
 * `OAuth2Auth` already shares one renewal among the concurrent requests of an instance (single flight). A
 * {@link TokenRefreshCoordinator} widens that to every instance and process using the same connection: the adapter
 * option `tokenRefresh` hands it each renewal, and it decides whether to renew at all. The usual implementation
 * holds a lock in the database where the tokens live:
 *
 * 1. take a per-connection lock (a row lock, an advisory lock);
 * 2. read the stored credentials; when `request.usable(stored)` (another process renewed meanwhile: a different
 *    access token, not expired), answer those without a request;
 * 3. otherwise `await request.renew(stored.refreshToken)`, store the new tokens (a rotated refresh token included)
 *    and release the lock only after they are stored, then answer them.
 *
 * Whatever the coordinator answers becomes the instance's credentials before any waiting request is sent. An
 * `AuthenticationError` from `renew` (e.g. `invalid_grant`) should be rethrown after recording it (the connection
 * must be authorized again); the instance then fails later calls at once instead of retrying the refused token.
 */
import type { TokenSet } from '../adapter-types.js';

export interface TokenRefreshRequest {
  /** The platform whose tokens are renewed. */
  platformId: string;
  grantType: 'refresh_token' | 'client_credentials';
  /** The credentials this instance holds: found expiring, or refused by the platform (a 401). */
  held: Readonly<Record<string, unknown>>;
  /**
   * Whether stored credentials can be used instead of renewing: they hold an access token other than the held one
   * and it has not expired. Stored credentials that pass were renewed by someone else since this instance read them.
   */
  usable(stored: Readonly<Record<string, unknown>>): boolean;
  /**
   * Sends the grant to the token endpoint: `refresh_token` with `refreshToken` (default: the held one; pass the
   * stored one, which may have rotated), or `client_credentials`. Resolves with the new tokens, which the
   * coordinator must store before it answers them (for `refresh_token`, a response without a new refresh token
   * keeps the one sent).
   *
   * @throws AuthenticationError when the endpoint refuses (e.g. `invalid_grant`); the errors of
   *   `OAuth2TokenClient.request` otherwise.
   */
  renew(refreshToken?: string): Promise<TokenSet>;
}

/**
 * @example
 * // Without a database: a coordinator shared by several adapters of one process, renewing once.
 * let stored = { accessToken: 'at_1', refreshToken: 'rt_1', expiresAt: 0 };
 * let queue = Promise.resolve();
 * const tokenRefresh: TokenRefreshCoordinator = {
 *   coordinate(request) {
 *     const turn = queue.then(async () => {
 *       if (request.usable(stored)) return stored;
 *       const tokens = await request.renew(stored.refreshToken);
 *       stored = { ...stored, ...tokens };
 *       return tokens;
 *     });
 *     queue = turn.then(() => undefined, () => undefined);
 *     return turn;
 *   },
 * };
 * const a = new ZoomAdapter({ credentials: stored, connectionConfig: {}, oauthClient, tokenRefresh });
 * const b = new ZoomAdapter({ credentials: stored, connectionConfig: {}, oauthClient, tokenRefresh });
 */
export interface TokenRefreshCoordinator {
  /**
   * Renews (through `request.renew`) or finds renewed tokens for one connection, at most one renewal at a time.
   * @returns the tokens to use from now on.
   */
  coordinate(request: TokenRefreshRequest): Promise<TokenSet>;
}

/**
 * The `usable` test of a {@link TokenRefreshRequest}: a non-empty access token other than `held`'s, whose
 * `expiresAt` (epoch ms), when set, is still ahead of `now`.
 *
 * @example
 * storedTokensUsable({ accessToken: 'at_2', expiresAt: 2_000 }, { accessToken: 'at_1' }, 1_000); // true
 * storedTokensUsable({ accessToken: 'at_1', expiresAt: 2_000 }, { accessToken: 'at_1' }, 1_000); // false: the same token
 */
export function storedTokensUsable(
  stored: Readonly<Record<string, unknown>> | undefined,
  held: Readonly<Record<string, unknown>>,
  now: number,
): boolean {
  const access = stored?.accessToken;
  if (typeof access !== 'string' || access === '' || access === held.accessToken) return false;
  const expiresAt = Number(stored?.expiresAt);
  if (stored?.expiresAt === undefined || stored?.expiresAt === null || !Number.isFinite(expiresAt)) return true;
  return now < expiresAt;
}

/**
 * Stored credentials as the token set a coordinator answers: the OAuth2 fields, and every other string value in
 * `extra` (token-response fields such as Salesforce `instanceUrl`).
 *
 * @example
 * tokenSetOf({ accessToken: 'at', refreshToken: 'rt', expiresAt: 5, instanceUrl: 'https://x' });
 * // { accessToken: 'at', refreshToken: 'rt', expiresAt: 5, extra: { instanceUrl: 'https://x' } }
 */
export function tokenSetOf(credentials: Readonly<Record<string, unknown>>): TokenSet {
  const { accessToken, refreshToken, expiresAt, ...rest } = credentials;
  const tokens: TokenSet = { accessToken: typeof accessToken === 'string' ? accessToken : '' };
  if (typeof refreshToken === 'string' && refreshToken !== '') tokens.refreshToken = refreshToken;
  const at = Number(expiresAt);
  if (expiresAt !== undefined && expiresAt !== null && Number.isFinite(at)) tokens.expiresAt = at;
  const extra: Record<string, string> = {};
  for (const [name, value] of Object.entries(rest)) if (typeof value === 'string') extra[name] = value;
  if (Object.keys(extra).length > 0) tokens.extra = extra;
  return tokens;
}
