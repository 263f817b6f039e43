// A local HTTP endpoint that receives webhooks, for tests and the bench: it keeps every request
// (headers and body as sent) and answers each path with the statuses it is told, in turn (the
// last one repeats), 200 by default.
//   POST <any path>                  a delivery
//   PUT  /_hooks/script              {"path": "/a", "statuses": [500, 503, 200], "delayMs": 0}
//   GET  /_hooks/requests?path=/a    what came, oldest first
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedHook {
  path: string;
  at: number;
  headers: Record<string, string>;
  body: string;
}

export interface WebhookReceiver {
  url: string;
  /** host:port, for WEBHOOK_ALLOWED_HOSTS. */
  host: string;
  received: ReceivedHook[];
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startWebhookReceiver(options: { port: number }): Promise<WebhookReceiver> {
  const received: ReceivedHook[] = [];
  const scripts = new Map<string, { statuses: number[]; delayMs: number; served: number }>();
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://receiver");
    const body = await readBody(request);
    if (url.pathname === "/_hooks/script" && request.method === "PUT") {
      const script = JSON.parse(body) as { path: string; statuses: number[]; delayMs?: number };
      scripts.set(script.path, { statuses: script.statuses, delayMs: script.delayMs ?? 0, served: 0 });
      response.writeHead(204).end();
      return;
    }
    if (url.pathname === "/_hooks/requests" && request.method === "GET") {
      const path = url.searchParams.get("path");
      const hooks = received.filter((hook) => path === null || hook.path === path);
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(hooks));
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === "string") headers[name] = value;
    }
    received.push({ path: url.pathname, at: Date.now(), headers, body });
    const script = scripts.get(url.pathname);
    const status = script
      ? (script.statuses[Math.min(script.served++, script.statuses.length - 1)] ?? 200)
      : 200;
    if (script?.delayMs) await new Promise((resolve) => setTimeout(resolve, script.delayMs));
    response.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "no");
  });
  await new Promise<void>((resolve) => server.listen(options.port, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
