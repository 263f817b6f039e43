// What the global setup hands the tests (via vitest's provide/inject).
export interface TestStack {
  /** Bindings that point the Worker at the shared test database and sink. */
  bindings: Record<string, string>;
  /** Bindings for the database that tests may stop (see `controlUrl`). */
  outageBindings: Record<string, string>;
  sinkUrl: string;
  /** POST /outage-db/stop, POST /outage-db/start */
  controlUrl: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    stack: TestStack;
  }
}
