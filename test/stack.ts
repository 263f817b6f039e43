// What the global setup hands the tests (via vitest's provide/inject).
export interface TestStack {
  /** Bindings that point the Worker at the shared test database and sink. */
  bindings: Record<string, string>;
  /** JWKS URL of an external token issuer (served by the global setup), and its private JWK. */
  issuerJwksUrl: string;
  issuerPrivateKey: string;
  /** UPSTASH_REDIS_REST_URL/TOKEN of the bridge over a real redis-server (stoppable). */
  upstashBindings: Record<string, string>;
  /** Bindings for the database that tests may stop (see `controlUrl`). */
  outageBindings: Record<string, string>;
  sinkUrl: string;
  /**
   * POST /outage-db/stop|start, POST /redis/stop|start; GET /upstash/stats and GET /neon-http/stats
   * (the main database's Neon HTTP endpoint: {requests, queries, batches}).
   */
  controlUrl: string;
  /** An OTLP/HTTP trace receiver (scripts/lib/otlp-receiver.ts). */
  otlpUrl: string;
  /** A webhook receiver (scripts/lib/webhook-receiver.ts), allowed by WEBHOOK_ALLOWED_HOSTS. */
  webhookReceiverUrl: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    stack: TestStack;
  }
}
