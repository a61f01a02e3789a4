/**
 * The few parts of npm `oidc-provider` (which ships no types) that the OAuth flow tests use.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface KoaContext {
    method: string;
    path: string;
    status: number;
    oidc?: { params?: Record<string, unknown> | undefined } | undefined;
  }

  export interface TokenModel {
    readonly jti: string;
    readonly accountId?: string | undefined;
    readonly clientId?: string | undefined;
    isExpired: boolean;
  }

  export interface TokenModelClass {
    find(value: string, options?: { ignoreExpiration?: boolean }): Promise<TokenModel | undefined>;
  }

  export class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    readonly issuer: string;
    readonly AccessToken: TokenModelClass;
    readonly RefreshToken: TokenModelClass;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export default Provider;
}
