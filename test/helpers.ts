// Shared test helpers: requests through the Worker's real fetch, and envelope assertions.
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { expect } from "vitest";
import type { App } from "../src/app";
import { checkContract } from "./contract";

export const BASE = "https://xzepr.test";

/** A client address of its own per request, unless the test names one (per-IP limits). */
export function withClientIp(init: RequestInit = {}): RequestInit {
  const headers = new Headers(init.headers);
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", `test-${crypto.randomUUID()}`);
  return { ...init, headers };
}

/** A request through the Worker exactly as deployed (SELF is the wrangler.toml `main`). */
export function call(path: string, init?: RequestInit): Promise<Response> {
  return send(new Request(`${BASE}${path}`, withClientIp(init)));
}

/** Through SELF, the response checked against the served OpenAPI document (test/contract.ts). */
export async function send(request: Request): Promise<Response> {
  return checkContract(request, await SELF.fetch(request));
}

/** A request through an app built by the test, with bindings overridden (for configuration cases). */
export async function callApp(
  app: App,
  path: string,
  init?: RequestInit,
  bindings: Record<string, unknown> = {},
) {
  return sendToApp(app, new Request(`${BASE}${path}`, withClientIp(init)), bindings);
}

/** A request through a test's app with bindings overridden; waits for its after-response work. */
export async function sendToApp(app: App, request: Request, bindings: Record<string, unknown> = {}) {
  const ctx = createExecutionContext();
  const response = await app.fetch(request, { ...env, ...bindings }, ctx);
  await waitOnExecutionContext(ctx);
  return checkContract(request, response);
}

export interface ErrorBody {
  error: { code: string; message: string; request_id: string; details?: { path: string; message: string }[] };
}

/** Asserts the API.md error envelope, with the request id of the response header, and returns it. */
export async function expectError(
  response: { status: number; headers: Headers; json(): Promise<unknown> },
  status: number,
  code: string,
): Promise<ErrorBody["error"]> {
  const body = (await response.json()) as ErrorBody;
  expect({ status: response.status, code: body.error?.code }).toEqual({ status, code });
  expect(body.error.message).toEqual(expect.any(String));
  expect(body.error.request_id).toBe(response.headers.get("x-request-id"));
  return body.error;
}
