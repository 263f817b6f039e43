// SSRF protection of webhook URLs: every spelling of a loopback, private, link-local or metadata
// target is refused in production; a local receiver is allowed by name outside production.
import { describe, expect, it } from "vitest";
import { webhookTargetProblem } from "../../src/lib/webhook-target";

const production = { production: true, allowHosts: [] };

describe("webhook targets", () => {
  it.each([
    "https://hooks.example.com/xzepr",
    "https://hooks.example.com:443/x",
    "https://203.0.113.7/x",
    "https://[2001:db8::1]/x",
  ])("allows %s in production", (url) => {
    expect(webhookTargetProblem(url, production)).toBeUndefined();
  });

  it.each([
    ["http://hooks.example.com/x", "https"],
    ["ftp://hooks.example.com/x", "https"],
    ["not a url", "not a URL"],
    ["https://user:pw@hooks.example.com/x", "credentials"],
    ["https://hooks.example.com:8443/x", "default port"],
    ["https://127.0.0.1/x", "loopback"],
    ["https://2130706433/x", "loopback"],
    ["https://0x7f.0.0.1/x", "loopback"],
    ["https://127.1/x", "loopback"],
    ["https://[::1]/x", "loopback"],
    ["https://[::ffff:127.0.0.1]/x", "loopback"],
    ["https://[::ffff:10.0.0.1]/x", "private"],
    ["https://0.0.0.0/x", "unspecified"],
    ["https://[::]/x", "unspecified"],
    ["https://10.1.2.3/x", "private"],
    ["https://172.16.0.1/x", "private"],
    ["https://172.31.255.255/x", "private"],
    ["https://192.168.1.1/x", "private"],
    ["https://100.64.0.1/x", "shared"],
    ["https://169.254.169.254/latest/meta-data", "metadata"],
    ["https://[fd00:ec2::254]/x", "unique-local"],
    ["https://[fe80::1]/x", "link-local"],
    ["https://metadata.google.internal/x", "metadata"],
    ["https://localhost/x", "local network"],
    ["https://api.localhost/x", "local network"],
    ["https://db.internal/x", "local network"],
    ["https://printer.local/x", "local network"],
    ["https://intranet/x", "local network"],
    ["https://224.0.0.1/x", "multicast"],
  ])("refuses %s in production (%s)", (url, reason) => {
    expect(webhookTargetProblem(url, production)).toContain(reason);
  });

  it("allows http, other ports and listed hosts outside production, and nothing private unlisted", () => {
    const local = { production: false, allowHosts: ["127.0.0.1:9999"] };
    expect(webhookTargetProblem("http://127.0.0.1:9999/hook", local)).toBeUndefined();
    expect(webhookTargetProblem("http://hooks.example.com:8080/x", local)).toBeUndefined();
    expect(webhookTargetProblem("http://127.0.0.1:9998/hook", local)).toContain("loopback");
    expect(webhookTargetProblem("http://169.254.169.254/", local)).toContain("metadata");
    // In production https comes first, whatever the list says.
    expect(
      webhookTargetProblem("http://127.0.0.1:9999/hook", { production: true, allowHosts: [] }),
    ).toContain("https");
  });
});
