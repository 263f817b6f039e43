import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger, redact } from "../../src/lib/logger";
import { truncateIp } from "../../src/lib/privacy";

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

describe("redact: personal data", () => {
  it("masks emails and truncates IPv4 and IPv6 addresses in any string, and leaves times alone", () => {
    expect(
      redact({
        msg: "user jane.doe+ci@example.com failed from 203.0.113.77",
        nested: [{ ip: "2001:db8:85a3:8d3:1319:8a2e:370:7348" }, "::1 at 15:31:50.745"],
        ts: "2026-11-23T15:31:50.745Z",
      }),
    ).toEqual({
      msg: "user ***@example.com failed from 203.0.113.0",
      nested: [{ ip: "2001:db8:85a3::" }, ":: at 15:31:50.745"],
      ts: "2026-11-23T15:31:50.745Z",
    });
  });
});

describe("truncateIp", () => {
  it("keeps the network of an address and nothing else", () => {
    expect(truncateIp("198.51.100.7")).toBe("198.51.100.0");
    expect(truncateIp("2001:db8::1")).toBe("2001:db8::");
    expect(truncateIp("not an ip")).toBeUndefined();
    expect(truncateIp(undefined)).toBeUndefined();
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
