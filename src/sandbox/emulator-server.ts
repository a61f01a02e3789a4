import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A request as an emulator sees it: parsed URL, lower-cased headers, and the JSON or form body. */
export interface EmulatorRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  /** The parsed body: JSON, a form as a flat `{ name: value }` object, or the raw text; `undefined` when empty. */
  body: unknown;
  rawBody: string;
  /** Set when the body claimed to be JSON but did not parse (the emulator answers with the platform's 400). */
  bodyError?: string | undefined;
  /** 1-based number of this request since the server started. */
  sequence: number;
}

/** An HTTP answer. `body` is sent as JSON; `rawBody` is sent as given (malformed JSON faults, empty 204s). */
export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Sent verbatim instead of `body` (with `content-type: application/json` unless `headers` says otherwise). */
  rawBody?: string;
}

/**
 * A transport-level misbehaviour instead of an answer: `reset` destroys the TCP connection with an RST (the client
 * sees `ECONNRESET`), `stall` never answers (the client's timeout fires; the socket is freed when the client gives
 * up or the server closes).
 */
export interface EmulatorTransportFault {
  transport: 'reset' | 'stall';
}

export type EmulatorReply = EmulatorResponse | EmulatorTransportFault;

/**
 * One platform's behaviour: a function from request to reply, written from the platform's public docs. Platform
 * emulators also carry their `control` (clock, tokens, rate limits, records), and `withFaults` adds `faults`.
 */
export interface EmulatorHandler {
  (request: EmulatorRequest): EmulatorReply | Promise<EmulatorReply>;
  control?: unknown;
  faults?: unknown;
}

export interface RunningEmulator<H extends EmulatorHandler = EmulatorHandler> {
  /** `http://127.0.0.1:<port>` — the origin; platform path prefixes are the emulator's business. */
  origin: string;
  port: number;
  /** Every request received, in order (for tests that assert on headers or paging), faulted ones included. */
  requests: EmulatorRequest[];
  /** The handler's `control` (platform emulators: clock, tokens, rate limits, records). */
  control: H['control'];
  /** The handler's fault statistics, when it is wrapped by `withFaults`. */
  faults: H['faults'];
  close(): Promise<void>;
}

export interface StartEmulatorOptions {
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
}

export function isTransportFault(reply: EmulatorReply): reply is EmulatorTransportFault {
  return 'transport' in reply;
}

function parseBody(raw: string, contentType: string | undefined): { body: unknown; error?: string } {
  if (!raw) return { body: undefined };
  // application/json, and JSON dialects such as AWS's application/x-amz-json-1.1 or JSON:API's vnd.api+json.
  if (contentType && /\bjson\b|[+-]json/i.test(contentType)) {
    try {
      return { body: JSON.parse(raw) };
    } catch (error) {
      return { body: undefined, error: (error as Error).message };
    }
  }
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    return { body: Object.fromEntries(new URLSearchParams(raw)) };
  }
  return { body: raw };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, response: EmulatorResponse): void {
  const text = response.rawBody ?? (response.body === undefined ? '' : JSON.stringify(response.body));
  const typed = response.rawBody !== undefined || response.body !== undefined;
  res.writeHead(response.status, {
    ...(typed ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    ...response.headers,
  });
  res.end(text);
}

function reset(socket: Socket): void {
  // A real RST (Node ≥ 16.17 / 18.3), so the client sees ECONNRESET rather than a clean end of stream.
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

/**
 * Starts a loopback HTTP server for one emulator on 127.0.0.1 (port 0 picks a free one). The server only listens on
 * loopback; replies may be answers, TCP resets or stalls (see `withFaults`).
 *
 * @example
 * const emulator = await startEmulator(stripeEmulator({ records: 250 }));
 * const stripe = new StripeAdapter({ credentials, connectionConfig: {}, baseUrl: `${emulator.origin}/v1` });
 * emulator.control.counters.requests; // what the adapter sent
 * await emulator.close();
 */
export async function startEmulator<H extends EmulatorHandler>(
  handler: H,
  options: number | StartEmulatorOptions = {},
): Promise<RunningEmulator<H>> {
  const port = typeof options === 'number' ? options : (options.port ?? 0);
  const requests: EmulatorRequest[] = [];
  let sequence = 0;
  const server: Server = createServer(async (req, res) => {
    try {
      const rawBody = await readBody(req);
      const parsed = parseBody(rawBody, req.headers['content-type']);
      const request: EmulatorRequest = {
        method: req.method ?? 'GET',
        url: new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`),
        headers: req.headers,
        body: parsed.body,
        rawBody,
        bodyError: parsed.error,
        sequence: ++sequence,
      };
      requests.push(request);
      const reply = await handler(request);
      if (isTransportFault(reply)) {
        if (reply.transport === 'reset') reset(req.socket);
        // 'stall': answer nothing; the client times out, and close() frees the socket.
        return;
      }
      send(res, reply);
    } catch (error) {
      if (!res.headersSent) {
        send(res, { status: 500, body: { error: { message: `emulator failure: ${(error as Error).message}` } } });
      }
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    requests,
    control: handler.control as H['control'],
    faults: handler.faults as H['faults'],
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

/** The form or JSON body as a flat record of strings (token endpoints accept either). */
export function formFields(request: EmulatorRequest): Record<string, string> {
  const out: Record<string, string> = {};
  const body = request.body;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      if (v !== undefined && v !== null) out[k] = String(v);
    }
  }
  // Some token endpoints (Meta) take their parameters in the query string.
  for (const [k, v] of request.url.searchParams) out[k] ??= v;
  return out;
}
