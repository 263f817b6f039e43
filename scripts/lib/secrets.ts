// Local signing material: a JWT signing key and the cursor secret, made once and kept in .data/.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { exportJWK, generateKeyPair } from "jose";
import { ulid } from "ulidx";
import { type Config, ConfigSchema } from "../../src/env";
import { signAccessToken } from "../../src/infra/jwt";

export interface LocalSecrets {
  JWT_SIGNING_KEY: string;
  CURSOR_SECRET: string;
}

export async function newSigningKey(alg: "EdDSA" | "ES256" | "RS256" = "EdDSA"): Promise<string> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return JSON.stringify({ ...(await exportJWK(privateKey)), kid: ulid(), alg });
}

export async function newSecrets(alg: "EdDSA" | "ES256" | "RS256" = "EdDSA"): Promise<LocalSecrets> {
  return { JWT_SIGNING_KEY: await newSigningKey(alg), CURSOR_SECRET: randomBytes(32).toString("hex") };
}

/** The secrets in `file`, made and written (mode 600) on first use. */
export async function localSecrets(file: string): Promise<LocalSecrets> {
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as LocalSecrets;
  const secrets = await newSecrets();
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** The Worker's configuration for signing and verifying tokens outside the Worker. */
export function signingConfig(secrets: LocalSecrets): Config {
  // Only the JWT settings are read; the bindings stand in for the Worker's, which are irrelevant here.
  const binding = { idFromName: () => undefined };
  return ConfigSchema.parse({
    ...secrets,
    ENVIRONMENT: "development",
    DATABASE_URL: "postgres://unused/unused",
    TENANT_GATE: binding,
    METRICS_HUB: binding,
  });
}

/** An access token for a principal, signed exactly as the Worker signs (src/infra/jwt.ts). */
export async function mintToken(
  secrets: LocalSecrets,
  subject: { tenantId: string; principalId: string; roles: string[] },
): Promise<string> {
  const config = signingConfig(secrets);
  const claims = {
    sub: subject.principalId,
    jti: ulid(),
    tid: subject.tenantId,
    roles: subject.roles,
    sty: "principal" as const,
  };
  return signAccessToken(config, claims, Math.floor(Date.now() / 1000));
}
