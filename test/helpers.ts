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

interface GraphqlErrorBody {
  errors: {
    message: string;
    extensions?: { code?: string; request_id?: string; details?: ErrorBody["error"]["details"] };
  }[];
}

/**
 * The error of a body in the API.md envelope, or in GraphQL's shape (the GraphQL paths answer every
 * refusal so, API.md "GraphQL"): its first error's code, message, request id and details.
 */
export function errorOf(body: unknown): Partial<ErrorBody["error"]> | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  if ("errors" in body && Array.isArray(body.errors)) {
    const [first] = (body as GraphqlErrorBody).errors;
    const { code, request_id, details } = first?.extensions ?? {};
    return { code, message: first?.message, request_id, ...(details ? { details } : {}) } as Partial<
      ErrorBody["error"]
    >;
  }
  return (body as Partial<ErrorBody>).error;
}

/** Asserts the API.md error envelope (GraphQL's on its paths), with the header's request id, and returns it. */
export async function expectError(
  response: { status: number; headers: Headers; json(): Promise<unknown> },
  status: number,
  code: string,
): Promise<ErrorBody["error"]> {
  const error = errorOf(await response.json());
  expect({ status: response.status, code: error?.code }).toEqual({ status, code });
  expect(error?.message).toEqual(expect.any(String));
  expect(error?.request_id).toBe(response.headers.get("x-request-id"));
  return error as ErrorBody["error"];
}
