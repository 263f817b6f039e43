// What route handlers share: the service context, path ids, ETag responses, list pages.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../context";
import type { ServiceContext } from "../domain/context";
import type { PlatformContext } from "../domain/tenants";
import { assertIfMatch, etagOf, notModified } from "../lib/etag";
import { decodeCursor, pageOf } from "../lib/pagination";
import { requestMeta } from "../middleware/request-context";

export const ULID = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, "must be a ULID");
export const IdParam = z.object({
  id: ULID.openapi({ param: { name: "id", in: "path" }, example: "01JD3Z9T1V6Q2C8M4X5Y7B0N9K" }),
});

export function serviceContext(c: Context<AppEnv>): ServiceContext {
  const principal = c.get("principal");
  return {
    db: c.get("db"),
    transaction: c.get("transaction"),
    config: c.get("config"),
    tenantId: principal.tenantId,
    principal,
    request: requestMeta(c),
    now: c.get("clock").now(),
  };
}

/** Platform-wide operations (tenants) are not scoped to the caller's tenant. */
export function platformContext(c: Context<AppEnv>): PlatformContext {
  return {
    db: c.get("db"),
    transaction: c.get("transaction"),
    config: c.get("config"),
    principal: c.get("principal"),
    request: requestMeta(c),
    now: c.get("clock").now(),
  };
}

/** `{data}` with a strong ETag; 304 when If-None-Match names the current version. */
export async function withEtag<T>(c: Context<AppEnv>, data: T) {
  const etag = await etagOf(data);
  return { body: { data }, etag, notModified: notModified(c.req.header("if-none-match"), etag) };
}

/** The position a `cursor` query parameter points at. */
export async function afterCursor(
  c: Context<AppEnv>,
  cursor: string | undefined,
): Promise<string | undefined> {
  return cursor ? (await decodeCursor(c.get("config").CURSOR_SECRET, cursor)).after : undefined;
}

export function listPage<T extends { id: string }>(c: Context<AppEnv>, rows: T[], pageSize: number) {
  return pageOf(rows, pageSize, c.req.url, c.get("config").CURSOR_SECRET);
}

/** 412 when If-Match is given and names neither `*` nor the current representation's ETag. */
export async function checkIfMatch(c: Context<AppEnv>, current: () => Promise<unknown>): Promise<void> {
  const ifMatch = c.req.header("if-match");
  if (ifMatch !== undefined) assertIfMatch(ifMatch, await etagOf(await current()));
}
