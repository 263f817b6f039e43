// The typed test client: paths, inputs and response bodies come from the app's route definitions
// (`Api` in src/app.ts) through Hono's `hc`, so no test writes a response type by hand. Requests
// the API must refuse (bad JSON, wrong types) go through `call` in helpers.ts instead.
import { type ClientResponse, hc } from "hono/client";
import type { Api, App } from "../src/app";
import { BASE, send, sendToApp, withClientIp } from "./helpers";

/** The API's operations as the given caller, through the Worker as deployed (`SELF`). */
export function api(headers: Record<string, string> = {}) {
  return hc<Api>(BASE, {
    headers,
    fetch: (input: RequestInfo | URL, init?: RequestInit) => send(new Request(input, withClientIp(init))),
  });
}

/** The same through an app the test built with bindings of its own; waits for after-response work. */
export function apiOf(app: App, bindings: Record<string, unknown>, headers: Record<string, string> = {}) {
  return hc<Api>(BASE, {
    headers,
    fetch: (input: RequestInfo | URL, init?: RequestInit) =>
      sendToApp(app, new Request(input, withClientIp(init)), bindings),
  });
}

// biome-ignore lint/suspicious/noExplicitAny: matches any status and body
type AnyResponse = ClientResponse<any, number, any>;
/** The JSON body a route declares for one status. */
export type BodyOf<R extends AnyResponse, S extends number> =
  R extends ClientResponse<infer T, infer U, "json"> ? (U extends S ? T : never) : never;

/** Asserts the status (showing the body when it differs) and returns the body the route declares for it. */
export async function expectStatus<R extends AnyResponse, const S extends R["status"]>(
  response: R,
  status: S,
): Promise<BodyOf<R, S>> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as BodyOf<R, S>;
}

/**
 * A Response of `call` (for requests the typed client cannot build: invalid bodies, raw paths) read
 * as the answer of the operation given, e.g. `answerOf(api().api.v1.receivers.$post, response)`.
 */
export function answerOf<E extends (...args: never[]) => Promise<AnyResponse>>(
  _operation: E,
  response: Response,
): Awaited<ReturnType<E>> {
  return response as unknown as Awaited<ReturnType<E>>;
}

/** A body already parsed (from `call`) read as the given operation's answer for that status. */
export function bodyAs<E extends (...args: never[]) => Promise<AnyResponse>, const S extends number>(
  _operation: E,
  _status: S,
  body: unknown,
): BodyOf<Awaited<ReturnType<E>>, S> {
  return body as BodyOf<Awaited<ReturnType<E>>, S>;
}
