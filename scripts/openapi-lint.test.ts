// The served OpenAPI document, linted with Redocly's CLI (redocly.yaml): no error and no warning.
// The document is built from the same route definitions as GET /openapi.json (src/routes/docs).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { createApp } from "../src/app";
import { openApiDocument } from "../src/routes/docs/openapi";

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
}

it("has no error and no warning under Redocly's recommended rules", () => {
  const dir = mkdtempSync(join(tmpdir(), "xzepr-openapi-"));
  try {
    const file = join(dir, "openapi.json");
    writeFileSync(file, JSON.stringify(openApiDocument(createApp(), "https://xzepr.example"), null, 1));
    const run = spawnSync("npx", ["redocly", "lint", file, "--format=json", "--config", "redocly.yaml"], {
      encoding: "utf8",
    });
    const report = JSON.parse(run.stdout) as LintReport;
    const problems = report.problems.map(
      (p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`,
    );
    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
