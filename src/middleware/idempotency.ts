// Idempotency-Key on authenticated POSTs: replay, 422 for another request, 409 while in flight.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import {
  type ClaimedKey,
  claimKey,
  completeKey,
  isReplayable,
  type KeyScope,
  releaseKey,
  type StoredResponse,
} from "../domain/idempotency";
import { sha256Hex } from "../lib/crypto";
import { ApiError } from "../lib/errors";

const REPLAYED_HEADERS = ["content-type", "etag", "location"];

/** What a replay gives back of a response. */
export async function storedResponse(response: Response): Promise<StoredResponse> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return { status: response.status, headers, body: await response.clone().text() };
}

export function idempotency() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const key = c.req.header("idempotency-key");
    const principal = c.get("principal");
    // Public POSTs (the token endpoint) have no principal to scope a key by.
    if (c.req.method !== "POST" || key === undefined || !principal) return next();
    if (key.length === 0 || key.length > 255) {
      throw new ApiError(400, "BAD_REQUEST", "Idempotency-Key must be 1 to 255 characters.");
    }
    // Hono keeps the body cached, so the route's validator can still read it.
    const body = new Uint8Array(await c.req.arrayBuffer());
    const url = new URL(c.req.url);
    const requestHash = await sha256Hex(
      `${c.req.method} ${url.pathname}${url.search}\n${await sha256Hex(body)}`,
    );
    const scope: KeyScope = { db: c.get("db"), tenantId: principal.tenantId, principalId: principal.id, key };
    const config = c.get("config");
    const claim = await claimKey(scope, requestHash, c.get("clock").now(), config.REQUEST_TIMEOUT_MS * 2);

    if (claim.state === "mismatch") {
      throw new ApiError(
        422,
        "IDEMPOTENCY_KEY_REUSED",
        "This Idempotency-Key was used for a different request.",
      );
    }
    if (claim.state === "in_flight") {
      throw new ApiError(
        409,
        "CONFLICT",
        "A request with this Idempotency-Key is still in progress; retry later.",
      );
    }
    if (claim.state === "replay") {
      const { status, headers, body: stored } = claim.response;
      return new Response(stored === "" ? null : stored, {
        status,
        headers: { ...headers, "Idempotent-Replayed": "true" },
      });
    }

    const claimed: ClaimedKey = { scope, stored: false };
    c.set("idempotencyKey", claimed);
    try {
      await next();
    } catch (error) {
      await releaseKey(scope);
      throw error;
    }
    if (claimed.stored) return;
    if (!isReplayable(c.res.status)) {
      await releaseKey(scope);
      return;
    }
    await completeKey(scope, await storedResponse(c.res));
  });
}
