// The local signing material `npm run dev`, `npm run token` and the bench use.
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { verifyAccessToken } from "../../src/infra/jwt";
import { localSecrets, mintToken, signingConfig } from "./secrets";

describe("local secrets", async () => {
  const dir = await mkdtemp(join(tmpdir(), "xzepr-secrets-"));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "secrets.json");

  it("are made once, kept private, and reused", async () => {
    const first = await localSecrets(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await localSecrets(file)).toEqual(first);
    expect(JSON.parse(await readFile(file, "utf8")).CURSOR_SECRET).toHaveLength(64);
  });

  it("mint tokens the Worker's verification accepts, with the claims asked for", async () => {
    const secrets = await localSecrets(file);
    const token = await mintToken(secrets, { tenantId: "T1", principalId: "P1", roles: ["writer"] });
    const claims = await verifyAccessToken(signingConfig(secrets), token, Math.floor(Date.now() / 1000));
    expect(claims).toMatchObject({
      sub: "P1",
      tid: "T1",
      roles: ["writer"],
      sty: "principal",
      iss: "xzepr",
      aud: "xzepr-api",
    });
  });
});
