// JSON logs, one line per event. The only place that writes to the console.
import { maskPersonalData } from "./privacy";
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const SECRET_KEY = /authorization|api[-_]?key|token|secret|password|cookie/i;

/**
 * The one redaction of every log line: values whose key names a credential are masked, at any
 * depth; in every other string, email addresses are masked and IP addresses truncated.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return maskPersonalData(value);
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: LogFields = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? "[redacted]" : redact(item, depth + 1);
  }
  return out;
}

export interface Logger {
  child(fields: LogFields): Logger;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export function createLogger(
  level: LogLevel,
  base: LogFields = {},
  now: () => Date = () => new Date(),
): Logger {
  const write = (at: LogLevel, message: string, fields: LogFields = {}) => {
    if (rank[at] < rank[level]) return;
    const line = JSON.stringify(
      redact({ ts: now().toISOString(), level: at, msg: message, ...base, ...fields }),
    );
    if (at === "error") console.error(line);
    else console.log(line);
  };
  return {
    child: (fields) => createLogger(level, { ...base, ...fields }, now),
    debug: (message, fields) => write("debug", message, fields),
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
  };
}
