// Readiness: real round trips to each dependency, each bounded by a timeout.
export type CheckStatus = "ok" | "down" | "not_configured";

export interface CheckResult {
  status: CheckStatus;
  latency_ms: number;
  error?: string;
}

export interface DependencyCheck {
  /** A required dependency that is down makes the service "down" (503); an optional one "degraded". */
  required: boolean;
  /** Undefined when the dependency is not configured in this deployment. */
  probe?: (signal: AbortSignal) => Promise<void>;
}

export type Readiness = {
  status: "ok" | "degraded" | "down";
  checks: Record<string, CheckResult>;
};

class CheckTimeout extends Error {}

async function runCheck(check: DependencyCheck, timeoutMs: number): Promise<CheckResult> {
  if (!check.probe) return { status: "not_configured", latency_ms: 0 };
  const started = Date.now();
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new CheckTimeout(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([check.probe(controller.signal), deadline]);
    return { status: "ok", latency_ms: Date.now() - started };
  } catch (error) {
    // Only a short, generic reason: readiness is public and must not reveal hosts or credentials.
    const reason = error instanceof CheckTimeout ? error.message : "unreachable or failing";
    return { status: "down", latency_ms: Date.now() - started, error: reason };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

export async function checkReadiness(
  checks: Record<string, DependencyCheck>,
  timeoutMs: number,
): Promise<Readiness> {
  const names = Object.keys(checks);
  const results = await Promise.all(
    names.map((name) => runCheck(checks[name] as DependencyCheck, timeoutMs)),
  );
  let status: Readiness["status"] = "ok";
  names.forEach((name, index) => {
    if (results[index]?.status !== "down") return;
    if (checks[name]?.required) status = "down";
    else if (status === "ok") status = "degraded";
  });
  return {
    status,
    checks: Object.fromEntries(names.map((name, index) => [name, results[index] as CheckResult])),
  };
}
