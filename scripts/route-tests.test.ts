// Every route file has its tests where a newcomer looks: src/routes/<resource>/<operation>.ts is
// tested in test/routes/<resource>.test.ts, in a describe block whose title names <operation>.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const ROUTES = join(ROOT, "src/routes");
/** Not operations: every resource's index.ts and schemas.ts, what routes share (the files directly in src/routes). */
const MOUNTING = new Set(["index.ts", "schemas.ts"]);
const SHARED = new Set(["health/probes.ts"]);
/** The GraphQL schema and its resolvers: what the GraphQL operations (execute, graphiql) share. */
const SHARED_DIRS = ["graphql/schema/"];

function operationFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return operationFiles(path);
    const inRoutes = relative(ROUTES, path);
    const shared =
      dir === ROUTES ||
      MOUNTING.has(entry.name) ||
      SHARED.has(inRoutes) ||
      SHARED_DIRS.some((shared) => inRoutes.startsWith(shared));
    return entry.name.endsWith(".ts") && !shared ? [path] : [];
  });
}

const operations = operationFiles(ROUTES).map((file) => {
  const path = relative(ROUTES, file);
  const resource = path.split("/").slice(0, -1).join("/");
  const operation = path.split("/").at(-1)?.replace(/\.ts$/, "") ?? "";
  return { path, operation, testFile: `test/routes/${resource}.test.ts` };
});

describe("route tests", () => {
  it("finds the operations", () => expect(operations.length).toBeGreaterThan(30));

  it.each(operations)("src/routes/$path is tested in $testFile", ({ testFile, operation }) => {
    const source = readFileSync(join(ROOT, testFile), "utf8");
    const titles = [...source.matchAll(/^describe\("([^"]*)"/gm)].map((match) => match[1] ?? "");
    const named = titles.some((title) => new RegExp(`(^|[ ,])${operation}([:,]|$)`).test(title));
    expect(named, `no describe block names ${operation} in ${titles.join(" | ")}`).toBe(true);
  });
});
