import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger, redact } from "../../src/lib/logger";

describe("redact", () => {
  it("masks credential-named fields at any depth", () => {
    expect(
      redact({
        authorization: "Bearer x",
        nested: { api_key: "xzepr_1", list: [{ password: "p", ok: 1 }] },
        ok: "y",
      }),
    ).toEqual({
      authorization: "[redacted]",
      nested: { api_key: "[redacted]", list: [{ password: "[redacted]", ok: 1 }] },
      ok: "y",
    });
  });
});

describe("createLogger", () => {
  afterEach(() => vi.restoreAllMocks());

  it("writes one JSON line per event with its fields, above the level only", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => lines.push(line));
    const logger = createLogger("info", { request_id: "r1" }, () => new Date("2026-01-01T00:00:00Z")).child({
      tenant_id: "t1",
    });
    logger.debug("hidden");
    logger.info("seen", { token: "secret", route: "/x" });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toEqual({
      ts: "2026-01-01T00:00:00.000Z",
      level: "info",
      msg: "seen",
      request_id: "r1",
      tenant_id: "t1",
      token: "[redacted]",
      route: "/x",
    });
  });
});
