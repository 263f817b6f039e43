// The MetricsHub's RPC contract: counters summed across isolates (src/durable/metrics-hub.ts).

export interface Sample {
  name: string;
  /** Canonical label text (`a="1",b="2"`), rendered by the Worker. */
  labels: string;
  value: number;
}

export interface MetricsHubRpc extends Rpc.DurableObjectBranded {
  add(samples: Sample[]): void;
  snapshot(): Sample[];
}
