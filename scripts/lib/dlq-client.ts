// The dead-letter queue from a terminal: the admin API of a deployed or local service. Plain
// fetch, so the same code runs in `npm run dlq` and, in the tests, against the Worker itself.
export interface DlqClientOptions {
  url: string;
  /** `authorization: Bearer …` or `x-api-key: …` of an admin. */
  headers: Record<string, string>;
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  print?: (line: string) => void;
}

export const DLQ_USAGE = "usage: npm run dlq -- list | retry <id> | retry-all | discard <id>";

interface DeadLetter {
  id: string;
  key: string;
  attempts: number;
  last_error: string;
  last_failed_at: string;
}

/** Runs one command; returns the process exit code (0 done, 1 refused or failed, 2 bad usage). */
export async function runDlqCommand(args: string[], options: DlqClientOptions): Promise<number> {
  const send = options.fetch ?? fetch;
  const print = options.print ?? ((line: string) => console.log(line));
  const base = `${options.url.replace(/\/+$/, "")}/api/v1/admin/dlq`;
  const request = async (path: string, method = "GET") => {
    const response = await send(`${base}${path}`, { method, headers: options.headers });
    const text = await response.text();
    if (!response.ok) {
      print(`error: HTTP ${response.status} ${text}`);
      return undefined;
    }
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  const [command, id] = args;
  const needsId = command === "retry" || command === "discard";
  if (!command || (needsId && !id) || !["list", "retry", "retry-all", "discard"].includes(command)) {
    print(DLQ_USAGE);
    return 2;
  }
  if (command === "list") {
    let cursor: string | undefined;
    let total = 0;
    do {
      const page = await request(`?page_size=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      if (!page) return 1;
      for (const letter of page.data as DeadLetter[]) {
        total++;
        print(
          `${letter.id}  ${letter.key}  attempts=${letter.attempts}  ${letter.last_failed_at}  ${letter.last_error}`,
        );
      }
      cursor = (page.page as { next_cursor?: string | null } | undefined)?.next_cursor ?? undefined;
    } while (cursor);
    print(`${total} dead letter(s)`);
    return 0;
  }
  const path = { retry: `/${id}/retry`, "retry-all": "/retry-all", discard: `/${id}` }[command] ?? "";
  const result = await request(path, command === "discard" ? "DELETE" : "POST");
  if (!result) return 1;
  print(
    command === "discard"
      ? `discarded ${id}`
      : `requeued ${(result.data as { requeued: number }).requeued} message(s)`,
  );
  return 0;
}
