/**
 * A local HTTP receiver standing in for a third-party endpoint (PagerDuty, Slack, a webhook,
 * Alertmanager's webhook receiver): records every request and answers as the test tells it.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** What the receiver answered. */
  status: number;
  at: number;
}

export interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export type Responder = (request: Omit<ReceivedRequest, 'status'>) => Reply;

export interface Receiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Requests answered 2xx: what the sender managed to deliver. */
  accepted(path?: string): ReceivedRequest[];
  /** Changes how the receiver answers from now on (e.g. 503 while "down"). */
  respondWith(responder: Responder): void;
  /** Resolves once `predicate` holds over the recorded requests; rejects with what arrived after `timeoutMs`. */
  waitFor(predicate: (requests: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const ok: Responder = () => ({ status: 200, body: 'ok' });

export async function startReceiver(responder: Responder = ok): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  let respond = responder;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const received = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        json,
        at: Date.now(),
      };
      const reply = respond(received);
      requests.push({ ...received, status: reply.status });
      res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    accepted: (path) => requests.filter((r) => r.status >= 200 && r.status < 300 && (!path || r.path === path)),
    respondWith(next) {
      respond = next;
    },
    async waitFor(predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(requests)) {
        if (Date.now() > deadline) {
          const seen = requests.map((r) => `${r.method} ${r.path} -> ${r.status}: ${r.body.slice(0, 300)}`).join('\n');
          throw new Error(
            `receiver on port ${port}: expected requests did not arrive within ${timeoutMs} ms; got:\n${seen}`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
