// A Drizzle database per request (the Neon driver cannot share sockets across requests). Work
// handed to `afterResponse` runs on the same pool after the response; the pool ends when that
// work is done.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { openDatabase } from "../db/client";
import { describeError } from "../lib/errors";

export function database() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const tracer = c.get("tracer");
    const handle = openDatabase(c.get("config"), { tracer });
    const background: Promise<unknown>[] = [];
    c.set("db", handle.db);
    c.set("afterResponse", (name, work) => {
      background.push(
        work().catch((error: unknown) => {
          c.get("logger").error(`${name} failed`, describeError(error));
        }),
      );
    });
    try {
      await next();
    } finally {
      const done = Promise.allSettled(background).then(handle.close);
      c.executionCtx.waitUntil(done);
      tracer.hold(done);
    }
  });
}
