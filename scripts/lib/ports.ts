// Port helpers for the local stack: a clear message for a busy port, and free ports for tests.
import { createServer } from "node:net";

export class PortBusyError extends Error {}

function listenOnce(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

/** Throws PortBusyError naming the service and the variable that moves it. */
export async function assertPortFree(port: number, service: string, variable: string, host = "127.0.0.1") {
  try {
    await listenOnce(port, host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES") {
      throw new PortBusyError(
        `Port ${port} (${service}) is already in use. Stop whatever holds it, or choose another port with ${variable}=<port>.`,
      );
    }
    throw error;
  }
}

export function freePort(host = "127.0.0.1"): Promise<number> {
  return listenOnce(0, host);
}
