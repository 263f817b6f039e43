// Our webhook signatures checked by a verifier this project did not write: the `standardwebhooks`
// package's Webhook.verify (Standard Webhooks' reference library for JavaScript).
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { newWebhookSecret, SECRET_PREFIX, signWebhook } from "../../src/lib/webhook-signature";

const body = JSON.stringify({ specversion: "1.0", id: "01JD3Z9T1V6Q2C8M4X5Y7B0N9K", data: { n: "ü✓" } });

async function headersFor(secrets: string[], id = "01JD3Z9T1V6Q2C8M4X5Y7B0N9K") {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signWebhook(secrets, { id, timestamp, body }),
  };
}

describe("webhook signatures (Standard Webhooks)", () => {
  it("makes secrets of 32 random bytes with the whsec_ prefix", () => {
    const secret = newWebhookSecret();
    expect(secret.startsWith(SECRET_PREFIX)).toBe(true);
    expect(atob(secret.slice(SECRET_PREFIX.length))).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(secret);
  });

  it("signs so that the standardwebhooks verifier accepts the body, and refuses an altered one", async () => {
    const secret = newWebhookSecret();
    const headers = await headersFor([secret]);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(body.replace("ü", "u"), headers)).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
  });

  it("signs with both secrets during a rotation: either verifies", async () => {
    const [previous, next] = [newWebhookSecret(), newWebhookSecret()];
    const headers = await headersFor([next, previous]);
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(new Webhook(previous).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(next).verify(body, headers)).toEqual(JSON.parse(body));
  });
});
