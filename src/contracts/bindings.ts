// What the runtime hands the Worker and its Durable Objects: plain variables and bindings, read
// only through the configuration schema (src/env.ts).
export type Bindings = Record<string, unknown>;
