// The headers the shared pipeline adds to responses and reads from requests (API.md "Headers"),
// written into the OpenAPI document in one place instead of on every route: the request id on
// every response, the rate-limit headers wherever admission runs, Retry-After on 429 and 503,
// Idempotency-Key on authenticated POSTs. Headers a route sets itself (ETag) are in its definition.
import { isReplayable } from "../domain/idempotency";

type Header = { description: string; required?: boolean; schema: Record<string, unknown> };
type Parameter = { in: string; name: string; required?: boolean; description?: string; schema: unknown };
type Operation = {
  security?: unknown[];
  parameters?: Parameter[];
  responses?: Record<string, { headers?: Record<string, unknown> }>;
};
type Document = { paths?: Record<string, Record<string, Operation>>; components?: Record<string, unknown> };

const HEADERS: Record<string, Header> = {
  "X-Request-Id": {
    description:
      "The request's id (the caller's `X-Request-Id` when valid, else a ULID); also in every error body",
    required: true,
    schema: { type: "string" },
  },
  "X-RateLimit-Limit": {
    description: "Requests allowed in the window",
    schema: { type: "integer", minimum: 0 },
  },
  "X-RateLimit-Remaining": {
    description: "Requests left in the window",
    schema: { type: "integer", minimum: 0 },
  },
  "X-RateLimit-Reset": {
    description: "When the window resets (unix seconds)",
    schema: { type: "integer", minimum: 0 },
  },
  "Retry-After": { description: "Seconds to wait before retrying", schema: { type: "integer", minimum: 1 } },
  "Idempotent-Replayed": {
    description:
      "`true` when this is the stored response of an earlier request with the same Idempotency-Key",
    schema: { type: "string", enum: ["true"] },
  },
};

const IDEMPOTENCY_KEY: Parameter = {
  in: "header",
  name: "Idempotency-Key",
  required: false,
  description:
    "Makes the POST safe to retry: a repeat with the same key and body gets the stored response (`Idempotent-Replayed: true`), another body 422, a repeat while the first runs 409. Kept 24 hours.",
  schema: { type: "string", minLength: 1, maxLength: 255 },
};

const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** Adds the pipeline's headers to every operation of the document (mutates and returns it). */
export function withPipelineHeaders<D extends object>(generated: D): D {
  // The generator's types are open-ended; this walks only the fields typed above.
  const document = generated as Document;
  document.components = { ...document.components, headers: HEADERS };
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    // `/health/*` is never rate limited; every other route passes admission (src/app.ts).
    const limited = !path.startsWith("/health/");
    for (const [method, operation] of Object.entries(operations)) {
      const idempotent = method === "post" && (operation.security?.length ?? 0) > 0;
      if (idempotent) operation.parameters = [...(operation.parameters ?? []), IDEMPOTENCY_KEY];
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const headers: Record<string, unknown> = { "X-Request-Id": ref("X-Request-Id") };
        if (limited)
          for (const name of ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"])
            headers[name] = ref(name);
        if (status === "429" || status === "503") headers["Retry-After"] = ref("Retry-After");
        if (idempotent && isReplayable(Number(status)))
          headers["Idempotent-Replayed"] = ref("Idempotent-Replayed");
        response.headers = { ...response.headers, ...headers };
      }
    }
  }
  return generated;
}
