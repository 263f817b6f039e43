// What the layers tell each other about a request: who sent it (for audit entries) and the rate
// limit that applied to it (for headers and GET /usage).

export type Tier = "anonymous" | "authenticated" | "admin";

/** The request an entry came from: its id, and the client (truncated address, user agent). */
export interface RequestMeta {
  id: string;
  ip: string | undefined;
  userAgent: string | undefined;
}

export interface RateLimitInfo {
  tier: Tier;
  limit: number;
  remaining: number;
  /** Epoch milliseconds. */
  reset: number;
}
