import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as an emulator sees it: parsed URL, lower-cased headers, and the JSON or form body. */
export interface EmulatorRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: unknown;
  rawBody: string;
}

export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** One platform's behaviour: a function from request to response, written from the platform's public docs. */
export type EmulatorHandler = (request: EmulatorRequest) => EmulatorResponse | Promise<EmulatorResponse>;

export interface RunningEmulator {
  /** `http://127.0.0.1:<port>` — the origin; platform path prefixes are the emulator's business. */
  origin: string;
  port: number;
  /** Every request received, in order (for tests that assert on headers or paging). */
  requests: EmulatorRequest[];
  close(): Promise<void>;
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (!raw) return undefined;
  if (contentType?.includes('application/json')) return JSON.parse(raw);
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  return raw;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, response: EmulatorResponse): void {
  const body = response.body === undefined ? '' : JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...(response.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...response.headers,
  });
  res.end(body);
}

/**
 * Starts a loopback HTTP server for one emulator on 127.0.0.1 (port 0 picks a free one).
 *
 * @example
 * const emulator = await startEmulator(stripeEmulator({ records: 250 }));
 * const stripe = new StripeAdapter({ credentials, connectionConfig: {}, baseUrl: `${emulator.origin}/v1` });
 */
export async function startEmulator(handler: EmulatorHandler, port = 0): Promise<RunningEmulator> {
  const requests: EmulatorRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    try {
      const rawBody = await readBody(req);
      const request: EmulatorRequest = {
        method: req.method ?? 'GET',
        url: new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`),
        headers: req.headers,
        body: parseBody(rawBody, req.headers['content-type']),
        rawBody,
      };
      requests.push(request);
      send(res, await handler(request));
    } catch (error) {
      send(res, { status: 500, body: { error: { message: `emulator failure: ${(error as Error).message}` } } });
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actualPort = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    requests,
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Deterministic timestamps for seeded records: record `i` was created `i` minutes after 2026-01-01T00:00:00Z. */
export function seededDate(i: number): Date {
  return new Date(Date.UTC(2026, 0, 1) + i * 60_000);
}

/** `Authorization: Bearer <token>` value, or undefined. */
export function bearerToken(request: EmulatorRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
}
