// Where the running `npm run dev` is: written to .data/running.json (mode 0600) once it is ready,
// removed when it stops, so that the CLIs (`token`, `dlq`) talk to that stack and not to another
// copy on the default ports.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface RunningStack {
  pid: number;
  url: string;
  databaseUrl: string;
}

const FILE = "running.json";

export function recordRunning(dataDir: string, stack: RunningStack): () => void {
  const path = join(dataDir, FILE);
  writeFileSync(path, JSON.stringify(stack, null, 2), { mode: 0o600 });
  return () => rmSync(path, { force: true });
}

/** The stack `npm run dev` runs from this data directory, when its process is still alive. */
export function runningStack(dataDir: string): RunningStack | undefined {
  const path = join(dataDir, FILE);
  if (!existsSync(path)) return undefined;
  const stack = JSON.parse(readFileSync(path, "utf8")) as RunningStack;
  try {
    process.kill(stack.pid, 0);
    return stack;
  } catch {
    return undefined; // left behind by a stack that did not stop cleanly
  }
}
