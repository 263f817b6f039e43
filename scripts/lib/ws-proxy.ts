// WebSocket→TCP proxy, the local stand-in for Neon's: the Neon serverless driver in workerd
// connects to ws://HOST/v1?address=db-host:port and speaks the PostgreSQL protocol through it.
import { createServer, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { WebSocketServer } from "ws";
import { checkRttMs, waitUntil } from "./distance";

export interface WsProxy {
  /** host:port, the value of DATABASE_WS_PROXY. */
  address: string;
  /** The simulated distance for messages that arrive from now on. */
  setRttMs(ms: number): void;
  close(): Promise<void>;
}

/** Only the listed database addresses may be reached, so this is never an open proxy. */
export async function startWsProxy(options: {
  port: number;
  allow: string[];
  host?: string;
  /** Every message from the client waits this long before it reaches the database. */
  rttMs?: number;
}): Promise<WsProxy> {
  const host = options.host ?? "127.0.0.1";
  const allowed = new Set(options.allow);
  let rttMs = checkRttMs(options.rttMs ?? 0);
  const http: Server = createServer((_req, res) => {
    res.writeHead(426, { "content-type": "text/plain" }).end("WebSocket upgrade required\n");
  });
  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<Socket>();

  http.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    const target = url.searchParams.get("address") ?? "";
    if (url.pathname !== "/v1" || !allowed.has(target)) {
      socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const separator = target.lastIndexOf(":");
      const tcp = connect(Number(target.slice(separator + 1)), target.slice(0, separator));
      sockets.add(tcp);
      tcp.setNoDelay(true);
      const pending: Buffer[] = [];
      tcp.on("connect", () => {
        for (const chunk of pending.splice(0)) tcp.write(chunk);
      });
      const forward = (data: Buffer) => {
        if (tcp.connecting) pending.push(data);
        else if (!tcp.destroyed) tcp.write(data);
      };
      // Each message is held for the distance from its own arrival (a burst costs one round trip,
      // not one per message), behind those before it, so that the byte stream stays in order.
      let delayed = Promise.resolve();
      let waiting = 0;
      ws.on("message", (data: Buffer) => {
        if (rttMs === 0 && waiting === 0) return forward(data);
        const due = performance.now() + rttMs;
        waiting++;
        delayed = delayed.then(async () => {
          await waitUntil(due);
          waiting--;
          forward(data);
        });
      });
      tcp.on("data", (chunk) => ws.send(chunk));
      const closeBoth = () => {
        sockets.delete(tcp);
        tcp.destroy();
        ws.terminate();
      };
      ws.on("close", closeBoth);
      ws.on("error", closeBoth);
      tcp.on("close", closeBoth);
      tcp.on("error", closeBoth);
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port, host, resolve);
  });
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    address: `${host}:${port}`,
    setRttMs: (ms) => {
      rttMs = checkRttMs(ms);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        for (const client of wss.clients) client.terminate();
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}
