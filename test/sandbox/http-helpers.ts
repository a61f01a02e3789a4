/** Raw HTTP against a running emulator, for tests of the emulators' own behaviour (no adapter in between). */
import http from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON, or the text when it is not JSON; `undefined` when empty. */
  body: unknown;
  text: string;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
  /** Abort after this many ms (for stalls). */
  timeoutMs?: number;
}

/**
 * Sends one request with node:http on a fresh connection and resolves with status, headers and body; rejects
 * with the socket error (e.g. `ECONNRESET`) or a timeout error.
 */
export function call(origin: string, path: string, request: RawRequest = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { ...request.headers };
  let payload: string | undefined;
  if (request.json !== undefined) {
    payload = JSON.stringify(request.json);
    headers['content-type'] = 'application/json';
  } else if (request.form !== undefined) {
    payload = new URLSearchParams(request.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, origin),
      { method: request.method ?? 'GET', headers, agent: false, timeout: request.timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            body = text;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)])),
            body,
            text,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', reject);
    req.end(payload);
  });
}
