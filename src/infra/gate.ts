// The tenant's TenantGate Durable Object, addressed by tenant id.
import type { TenantGateRpc } from "../contracts/gate";
import type { Config } from "../env";
import { DependencyUnavailable } from "../lib/errors";

export type Gate = DurableObjectStub<TenantGateRpc>;

export function gateFor(config: Config, tenantId: string): Gate {
  return config.TENANT_GATE.get(config.TENANT_GATE.idFromName(tenantId));
}

/**
 * A call to a gate: one that fails (the object reset, overloaded or unreachable) is a dependency
 * failure, 503 with Retry-After, never a 500.
 */
export async function callGate<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new DependencyUnavailable("gate", { cause: error });
  }
}
