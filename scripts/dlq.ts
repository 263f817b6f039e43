// `npm run dlq -- list | retry <id> | retry-all | discard <id>`: the dead-letter queue of a
// deployed or local service, through its admin API.
//   XZEPR_URL       the service (default: the running `npm run dev`, else http://127.0.0.1:$PORT or :8787)
//   XZEPR_TOKEN     an admin's access token, or
//   XZEPR_API_KEY   an admin API key (default: the dev tenant's key from `npm run dev`)
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { runDlqCommand } from "./lib/dlq-client";
import { runningStack } from "./lib/running";

function credentials(): Record<string, string> {
  if (process.env.XZEPR_TOKEN) return { authorization: `Bearer ${process.env.XZEPR_TOKEN}` };
  if (process.env.XZEPR_API_KEY) return { "x-api-key": process.env.XZEPR_API_KEY };
  const file = resolve(process.env.XZEPR_DATA_DIR ?? ".data", "dev-credentials.json");
  if (existsSync(file)) {
    const { apiKey } = JSON.parse(readFileSync(file, "utf8")) as { apiKey?: string };
    if (apiKey) return { "x-api-key": apiKey };
  }
  console.error(
    "set XZEPR_TOKEN or XZEPR_API_KEY (an admin's), or start `npm run dev` once for local credentials",
  );
  process.exit(2);
}

// The running `npm run dev` of this data directory first: another copy on the default port must
// not get this admin key.
const url =
  process.env.XZEPR_URL ??
  runningStack(resolve(process.env.XZEPR_DATA_DIR ?? ".data"))?.url ??
  `http://127.0.0.1:${process.env.PORT ?? 8787}`;
process.exitCode = await runDlqCommand(process.argv.slice(2), { url, headers: credentials() }).catch(
  (error: unknown) => {
    // One line, no stack trace: usually the service is not running at that URL.
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    console.error(`dlq: cannot reach ${url}${cause ? ` (${cause})` : ""}: ${(error as Error).message}`);
    return 1;
  },
);
