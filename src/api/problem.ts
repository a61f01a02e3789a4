/**
 * Errors as RFC 9457 problem details (`application/problem+json`): a status, a title, a detail a person can act on,
 * and for invalid input every field at fault as `{ in, path, message }` (`path` a JSON Pointer into the body, query
 * or route parameters). Never a stack trace; never a 5xx for bad input.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

export interface FieldProblem {
  /** Where the field is: `body`, `querystring`, `params`, `headers`. */
  in: string;
  /** JSON Pointer to the field (`/credentials/apiKey`); `` for the whole part. */
  path: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string | undefined;
  errors?: FieldProblem[] | undefined;
  [extra: string]: unknown;
}

/** Thrown by route code to answer with a problem. */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string | undefined,
    readonly extra: { errors?: FieldProblem[]; [key: string]: unknown } = {},
  ) {
    super(detail ?? title);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
};

/** `/body/credentials/apiKey` style pointer from a path of keys. */
export function jsonPointer(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** The problem for a 404: the same for "absent" and "another tenant's". */
export function notFound(what: string): ProblemError {
  return new ProblemError(404, 'Not found', `${what} was not found`);
}

export function sendProblem(reply: FastifyReply, problem: ProblemBody): FastifyReply {
  return reply.status(problem.status).type('application/problem+json').send(problem);
}

/**
 * Fastify's error handler: route problems as they are; schema validation as 400 with every field; Fastify's own
 * client errors (malformed JSON, body too large, wrong content type) with their status; anything else a 500 without
 * detail (logged, with the request id to find it).
 */
export function problemErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof ProblemError) {
    return sendProblem(reply, {
      type: 'about:blank',
      title: error.title,
      status: error.status,
      ...(error.detail === undefined ? {} : { detail: error.detail }),
      ...error.extra,
    });
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const location = error.validationContext ?? 'body';
    const errors: FieldProblem[] = error.validation.map((v) => ({
      in: location,
      path: v.instancePath,
      message: v.message ?? 'is invalid',
    }));
    return sendProblem(reply, {
      type: 'about:blank',
      title: 'Invalid request',
      status: 400,
      detail: errors.map((e) => `${e.in}${e.path}: ${e.message}`).join('; '),
      errors,
    });
  }
  const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status >= 400 && status < 500) {
    return sendProblem(reply, {
      type: 'about:blank',
      title: TITLES[status] ?? 'Bad request',
      status,
      detail: clientErrorDetail(error),
    });
  }
  request.log.error({ err: { name: error.name, message: error.message, code: error.code } }, 'unhandled error');
  return sendProblem(reply, {
    type: 'about:blank',
    title: 'Internal server error',
    status: 500,
    detail: `an unexpected error; request id ${request.id}`,
  });
}

/** Fastify's own messages for client errors, which never include the body. */
function clientErrorDetail(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'the request body is larger than 1 MB';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'the request body must be application/json';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'the request body is empty; send a JSON object';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'the request body is not valid JSON';
    default:
      return error.message.slice(0, 300);
  }
}
