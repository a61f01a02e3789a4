/** Shared pieces for the OAuth2 tests: loopback token/API servers, form parsing, a log sink. */
import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';
import type { RecordedRequest } from '../support/loopback-server.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The form fields of a recorded request body. */
export function form(req: RecordedRequest | undefined): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(req?.body ?? ''));
}

/** `client_id:client_secret` from a Basic header, each half form-url-decoded (RFC 6749 §2.3.1). */
export function basicCredentials(req: RecordedRequest | undefined): [string, string] | undefined {
  const header = req?.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const [id = '', secret = ''] = decoded.split(':');
  const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  return [unform(id), unform(secret)];
}

/** Answers a JSON body with an explicit content type. */
export function answer(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** A debug-level pino logger whose lines are kept in `lines`. */
export function captureLogs(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write: (chunk, _encoding, callback) => {
        lines.push(String(chunk));
        callback();
      },
    }),
  );
  return { logger, lines };
}

/** Everything a test wants to be sure a secret is not in: message, JSON, cause, stack. */
export function errorText(error: unknown): string {
  const e = error as Error & { toJSON?: () => unknown };
  const cause = e?.cause as Error | undefined;
  return [
    String(e?.message),
    JSON.stringify(e),
    e?.toJSON ? JSON.stringify(e.toJSON()) : '',
    String(e?.stack),
    cause ? `${cause.message} ${JSON.stringify(cause)} ${String(cause.stack)}` : '',
  ].join('\n');
}
