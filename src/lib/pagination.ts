// Cursor pagination: opaque, HMAC-protected cursors (an altered one → 400), newest first by ULID.
import { z } from "@hono/zod-openapi";
import { fromBase64, hmacKey, toBase64 } from "./crypto";
import { ApiError } from "./errors";

export const PageQuery = z.object({
  page_size: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(50)
    .openapi({ description: "1–200, default 50" }),
  cursor: z.string().max(512).optional().openapi({ description: "`page.next_cursor` of the previous page" }),
});

export const PageSchema = z
  .object({ page_size: z.number().int(), next_cursor: z.string().nullable() })
  .openapi("Page");
export const LinksSchema = z.object({ self: z.string(), next: z.string().nullable() }).openapi("Links");

export function listSchema<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), page: PageSchema, links: LinksSchema });
}

const b64url = (bytes: Uint8Array) =>
  toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const fromB64url = (text: string) => fromBase64(text.replace(/-/g, "+").replace(/_/g, "/"));

export interface CursorPosition {
  /** The last id of the page just served; the next page starts below it. */
  after: string;
}

export async function encodeCursor(secret: string, position: CursorPosition): Promise<string> {
  const body = new TextEncoder().encode(JSON.stringify(position));
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret, "utf8"), body));
  return `${b64url(body)}.${b64url(signature)}`;
}

export async function decodeCursor(secret: string, cursor: string): Promise<CursorPosition> {
  const invalid = () => new ApiError(400, "BAD_REQUEST", "The cursor is invalid; start again without one.");
  const [body, signature, extra] = cursor.split(".");
  if (!body || !signature || extra !== undefined) throw invalid();
  let position: unknown;
  try {
    const bytes = fromB64url(body);
    const ok = await crypto.subtle.verify(
      "HMAC",
      await hmacKey(secret, "utf8"),
      fromB64url(signature),
      bytes,
    );
    if (!ok) throw invalid();
    position = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw invalid();
  }
  const parsed = z.object({ after: z.string().min(1).max(64) }).safeParse(position);
  if (!parsed.success) throw invalid();
  return parsed.data;
}

/** Builds the list envelope; fetch `pageSize + 1` rows so that a next page is known without a count. */
export async function pageOf<T extends { id: string }>(
  rows: T[],
  pageSize: number,
  requestUrl: string,
  secret: string,
): Promise<{
  data: T[];
  page: { page_size: number; next_cursor: string | null };
  links: { self: string; next: string | null };
}> {
  const data = rows.slice(0, pageSize);
  const last = data.at(-1);
  const nextCursor = rows.length > pageSize && last ? await encodeCursor(secret, { after: last.id }) : null;
  const self = new URL(requestUrl);
  let next: string | null = null;
  if (nextCursor) {
    const url = new URL(self);
    url.searchParams.set("cursor", nextCursor);
    next = `${url.pathname}${url.search}`;
  }
  return {
    data,
    page: { page_size: pageSize, next_cursor: nextCursor },
    links: { self: `${self.pathname}${self.search}`, next },
  };
}
