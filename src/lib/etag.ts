// Strong ETags over the JSON representation; If-None-Match → 304, If-Match → 412.
import { sha256Hex } from "./crypto";
import { ApiError } from "./errors";

export async function etagOf(representation: unknown): Promise<string> {
  return `"${(await sha256Hex(JSON.stringify(representation))).slice(0, 32)}"`;
}

function listMatches(header: string, etag: string): boolean {
  return header
    .split(",")
    .map((tag) => tag.trim().replace(/^W\//, ""))
    .some((tag) => tag === "*" || tag === etag);
}

/** True when the client's cached copy is current (answer 304). */
export function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  return ifNoneMatch !== undefined && listMatches(ifNoneMatch, etag);
}

/** Throws 412 when If-Match is present and names neither `*` nor the current version. */
export function assertIfMatch(ifMatch: string | undefined, currentEtag: string): void {
  if (ifMatch === undefined) return;
  const matches = ifMatch
    .split(",")
    .map((tag) => tag.trim())
    .some((tag) => tag === "*" || tag === currentEtag);
  if (!matches)
    throw new ApiError(412, "PRECONDITION_FAILED", "The resource has changed (If-Match did not match).");
}
