/**
 * The OAuth connect flow (DESIGN.md §4): `POST /platform-integrations/oauth/initiate` (a tenant route) answers the
 * authorization URL to send the user's browser to; the platform sends the browser back to
 * `GET|POST /platform-integrations/oauth/callback` (public: it carries no tenant key, the state names the pending
 * authorization), which answers `201 {connection}`, or for a GET whose initiate gave `redirect_after`, a 302 there
 * with `?connection_id=…` (or `?error=<code>`). The logic is in `service/oauth/oauth-connect-flow.ts`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  completeOAuthConnection,
  initiateOAuthConnection,
  OAUTH_CALLBACK_PATH,
  type OAuthCallbackInput,
  OAuthFlowError,
} from '../../service/oauth/oauth-connect-flow.js';
import type { ServiceContext } from '../../service/service-context.js';
import { connectionJson } from '../connection-json.js';
import { ProblemError } from '../problem.js';
import { storableLabel } from '../storable-text.js';
import { actorOf } from '../tenant-auth.js';

/** RFC 6749 §3.3 scope-token characters. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

const initiateBody = z
  .object({
    platform: z.string().min(1).max(100),
    connection_config: z
      .record(z.string().min(1).max(100), z.string().max(253))
      .refine((o) => Object.keys(o).length <= 50, 'at most 50 settings')
      .optional(),
    scopes: z
      .array(z.string().min(1).max(512).regex(SCOPE_TOKEN, 'must be an OAuth scope token (no spaces or quotes)'))
      .max(100)
      .optional(),
    redirect_after: z.string().min(1).max(2048).optional(),
    label: storableLabel(200).optional(),
  })
  .strict();

/** What the platform sends back; other parameters (Shopify's `hmac`, `shop`, Google's `authuser`) are ignored. */
const callbackParams = z.object({
  code: z.string().max(4096).optional(),
  state: z.string().max(512).optional(),
  iss: z.string().max(2048).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(4096).optional(),
  error_uri: z.string().max(4096).optional(),
});

function problemOf(error: OAuthFlowError): ProblemError {
  return new ProblemError(error.status, error.title, error.detail, {
    error: error.code,
    ...(error.extra.errors ? { errors: error.extra.errors } : {}),
  });
}

/** `url` with one query parameter set (an existing query and fragment are kept). */
function withParam(url: string, name: string, value: string): string {
  const out = new URL(url);
  out.searchParams.set(name, value);
  return out.toString();
}

/**
 * The tenant route: `POST /platform-integrations/oauth/initiate`.
 * @example
 * const tenantRouteModules: TenantRouteModule[] = [connectionRoutes, oauthInitiateRoutes];
 */
export function oauthInitiateRoutes(scope: FastifyInstance, ctx: ServiceContext): void {
  scope.withTypeProvider<ZodTypeProvider>().post(
    '/platform-integrations/oauth/initiate',
    {
      schema: {
        tags: ['oauth'],
        summary: "Start connecting an account through the platform's OAuth consent",
        description:
          'Answers the URL to send the user to and the state that comes back with them (valid once, for 10 minutes). ' +
          'The deployment must have an OAuth app for the platform (ENGARDE_PLATFORM_OVERRIDES).',
        security: [{ tenantKey: [] }],
        body: initiateBody,
        response: { 200: z.object({ authorization_url: z.string(), state: z.string() }) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      try {
        const started = await initiateOAuthConnection(ctx, {
          tenantId: request.tenant.tenantId,
          actor: actorOf(request),
          platform: body.platform,
          connectionConfig: body.connection_config,
          scopes: body.scopes,
          redirectAfter: body.redirect_after,
          label: body.label,
        });
        reply.header('cache-control', 'no-store');
        return { authorization_url: started.authorizationUrl, state: started.state };
      } catch (error) {
        throw error instanceof OAuthFlowError ? problemOf(error) : error;
      }
    },
  );
}

/**
 * The public route: `GET|POST /platform-integrations/oauth/callback` (POST takes a form or JSON body, as
 * `response_mode=form_post` sends it). Its query string holds the authorization code and state, so its request log
 * shows the path only.
 * @example
 * oauthCallbackRoutes(app, ctx); // in buildServer, beside registryRoutes
 */
export function oauthCallbackRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 64 * 1024 },
      (_request, body, done) => {
        const fields: Record<string, string | string[]> = {};
        for (const [name, value] of new URLSearchParams(String(body))) {
          const seen = fields[name];
          // A repeated parameter stays a list, which the schema refuses (RFC 6749 §3.1).
          fields[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
        }
        done(null, fields);
      },
    );
    const typed = scope.withTypeProvider<ZodTypeProvider>();
    const logSerializers = {
      req: (req: { id?: string; method?: string; url?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url?.split('?')[0],
      }),
    };
    const schema = {
      tags: ['oauth'],
      summary: 'Where the platform sends the user back after the OAuth consent',
      description:
        'Answers 201 {connection}; a GET whose initiate gave redirect_after answers 302 there with ?connection_id=… ' +
        'or ?error=<code>. A missing, forged, used or expired state answers 400.',
    };

    const respond = async (reply: FastifyReply, params: OAuthCallbackInput, redirect: boolean) => {
      reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
      try {
        const { connection, redirectAfter } = await completeOAuthConnection(ctx, params);
        if (redirect && redirectAfter) {
          return reply.redirect(withParam(redirectAfter, 'connection_id', connection.connectionId), 302);
        }
        return reply.status(201).send({ connection: connectionJson(connection) });
      } catch (error) {
        if (!(error instanceof OAuthFlowError)) throw error;
        if (redirect && error.extra.redirectAfter) {
          return reply.redirect(withParam(error.extra.redirectAfter, 'error', error.code), 302);
        }
        throw problemOf(error);
      }
    };

    typed.get(
      OAUTH_CALLBACK_PATH,
      { logSerializers, schema: { ...schema, querystring: callbackParams } },
      async (request, reply) => respond(reply, request.query, true),
    );
    typed.post(
      OAUTH_CALLBACK_PATH,
      { logSerializers, schema: { ...schema, body: callbackParams } },
      async (request, reply) => respond(reply, request.body, false),
    );
  });
}
