import { createServer } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { freePort } from "./ports";
import { startWsProxy } from "./ws-proxy";

describe("startWsProxy", async () => {
  // A TCP echo server stands in for PostgreSQL.
  const echoPort = await freePort();
  const echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(echoPort, "127.0.0.1", resolve));
  const proxy = await startWsProxy({ port: 0, allow: [`127.0.0.1:${echoPort}`] });
  afterAll(async () => {
    await proxy.close();
    echo.close();
  });

  it("relays bytes both ways to an allowed address", async () => {
    const ws = new WebSocket(`ws://${proxy.address}/v1?address=127.0.0.1:${echoPort}`);
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on("open", () => ws.send(Buffer.from("ping")));
      ws.on("message", (data: Buffer) => resolve(data.toString()));
      ws.on("error", reject);
    });
    ws.close();
    expect(reply).toBe("ping");
  });

  it("holds every message for the simulated distance, in order", async () => {
    proxy.setRttMs(30);
    try {
      const ws = new WebSocket(`ws://${proxy.address}/v1?address=127.0.0.1:${echoPort}`);
      await new Promise((resolve, reject) => {
        ws.on("open", resolve);
        ws.on("error", reject);
      });
      let received = "";
      const started = performance.now();
      const elapsed = new Promise<number>((resolve) => {
        ws.on("message", (data: Buffer) => {
          received += data.toString();
          if (received.length === 3) resolve(performance.now() - started);
        });
      });
      for (const letter of ["a", "b", "c"]) ws.send(Buffer.from(letter));
      expect(await elapsed).toBeGreaterThanOrEqual(30);
      ws.close();
      expect(received).toBe("abc");
    } finally {
      proxy.setRttMs(0);
    }
  });

  it("refuses any other address, so it is never an open proxy", async () => {
    const ws = new WebSocket(`ws://${proxy.address}/v1?address=127.0.0.1:22`);
    const status = await new Promise<number | undefined>((resolve) => {
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode));
      ws.on("error", () => resolve(undefined));
    });
    expect(status).toBe(403);
  });
});
