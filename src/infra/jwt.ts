// JWT signing and verification with jose. Keys come from configuration and are imported once per
// isolate; a remote JWKS is cached by jose (refetched on an unknown kid, with a cooldown).
import {
  type CryptoKey,
  createRemoteJWKSet,
  errors,
  exportJWK,
  importJWK,
  importPKCS8,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  SignJWT,
} from "jose";
import type { Config, JwkConfig } from "../env";

export interface AccessClaims extends JWTPayload {
  sub: string;
  tid: string;
  roles: string[];
  jti: string;
  /** "principal" or "api_key": what `sub` names. */
  sty: "principal" | "api_key";
  /** The refresh-token family this access token came from, if any. */
  fam?: string;
}

export class TokenRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

interface KeyRing {
  signing: { key: CryptoKey | Uint8Array; alg: string; kid?: string };
  /** Asymmetric verification keys by kid (current and previous). */
  byKid: Map<string, { key: CryptoKey; alg: string }>;
  secret?: Uint8Array;
  remote?: JWTVerifyGetKey;
  algorithms: string[];
  publicJwks: JWK[];
}

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k"];

function publicPart(jwk: JwkConfig): JWK {
  const copy: Record<string, unknown> = { ...jwk, use: "sig" };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  delete copy.key_ops;
  return copy as JWK;
}

const rings = new WeakMap<Config, Promise<KeyRing>>();

/** The signing key as a JWK, whether configured as a JWK or as PEM (PKCS#8) with kid and alg. */
async function signingKeyJwk(config: Config): Promise<(JwkConfig & { d: string }) | undefined> {
  const key = config.JWT_SIGNING_KEY;
  if (!key) return undefined;
  if (key.format === "jwk") return key.jwk;
  const alg = config.JWT_SIGNING_ALG as JwkConfig["alg"];
  const privateKey = await importPKCS8(key.pem, alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kty: jwk.kty ?? "", d: jwk.d ?? "", kid: config.JWT_SIGNING_KEY_ID as string, alg };
}

async function buildRing(config: Config): Promise<KeyRing> {
  const byKid = new Map<string, { key: CryptoKey; alg: string }>();
  const publicJwks: JWK[] = [];
  const algorithms = new Set<string>();
  const accept = async (jwk: JwkConfig) => {
    const pub = publicPart(jwk);
    byKid.set(jwk.kid, { key: (await importJWK(pub, jwk.alg)) as CryptoKey, alg: jwk.alg });
    publicJwks.push(pub);
    algorithms.add(jwk.alg);
  };
  let signing: KeyRing["signing"] | undefined;
  const signingJwk = await signingKeyJwk(config);
  if (signingJwk) {
    signing = {
      key: (await importJWK(signingJwk, signingJwk.alg)) as CryptoKey,
      alg: signingJwk.alg,
      kid: signingJwk.kid,
    };
    await accept(signingJwk);
  }
  for (const jwk of config.JWT_PREVIOUS_KEYS ?? []) await accept(jwk);
  const secret = config.JWT_SECRET ? new TextEncoder().encode(config.JWT_SECRET) : undefined;
  if (secret) algorithms.add("HS256");
  signing ??= secret ? { key: secret, alg: "HS256" } : undefined;
  if (!signing) throw new Error("no JWT signing key configured");
  const remote = config.JWT_JWKS_URL
    ? createRemoteJWKSet(new URL(config.JWT_JWKS_URL), { timeoutDuration: 3_000, cooldownDuration: 30_000 })
    : undefined;
  if (remote) for (const alg of ["RS256", "ES256", "EdDSA"]) algorithms.add(alg);
  return {
    signing,
    byKid,
    ...(secret ? { secret } : {}),
    ...(remote ? { remote } : {}),
    algorithms: [...algorithms],
    publicJwks,
  };
}

function keyRing(config: Config): Promise<KeyRing> {
  let ring = rings.get(config);
  if (!ring) {
    ring = buildRing(config);
    rings.set(config, ring);
  }
  return ring;
}

export interface NewAccessToken {
  sub: string;
  jti: string;
  tid: string;
  roles: string[];
  sty: AccessClaims["sty"];
  fam?: string;
}

export async function signAccessToken(config: Config, claims: NewAccessToken, now: number) {
  const ring = await keyRing(config);
  const { sub, jti, ...rest } = claims;
  const header = {
    alg: ring.signing.alg,
    typ: "at+jwt",
    ...(ring.signing.kid ? { kid: ring.signing.kid } : {}),
  };
  return new SignJWT(rest)
    .setProtectedHeader(header)
    .setIssuer(config.JWT_ISSUER)
    .setAudience(config.JWT_AUDIENCE)
    .setSubject(sub)
    .setJti(jti)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + config.ACCESS_TOKEN_TTL_SECONDS)
    .sign(ring.signing.key);
}

// Tokens this isolate verified (per configuration, so a key change starts afresh) → their claims,
// until they expire: a client presents the same access token for its whole life, and checking its
// signature is most of authentication's CPU. Only the exact token string hits; the subject's
// status and revocations are the gate's, on every request.
const verified = new WeakMap<Config, Map<string, AccessClaims>>();
const VERIFIED_MAX = 10_000;

function stillValid(claims: AccessClaims, now: number, skew: number): boolean {
  return claims.exp !== undefined && now < claims.exp + skew && (claims.nbf ?? 0) <= now + skew;
}

export async function verifyAccessToken(config: Config, token: string, now: number): Promise<AccessClaims> {
  let known = verified.get(config);
  if (!known) {
    known = new Map();
    verified.set(config, known);
  }
  const cached = known.get(token);
  if (cached && stillValid(cached, now, config.JWT_CLOCK_SKEW_SECONDS)) return cached;
  const claims = await verifySignedToken(config, token, now);
  if (known.size >= VERIFIED_MAX) known.delete(known.keys().next().value as string);
  known.set(token, claims);
  return claims;
}

async function verifySignedToken(config: Config, token: string, now: number): Promise<AccessClaims> {
  const ring = await keyRing(config);
  const getKey: JWTVerifyGetKey = async (header, input) => {
    if (header.alg === "HS256") {
      if (!ring.secret) throw new TokenRejected("algorithm_not_accepted");
      return ring.secret;
    }
    const local = header.kid ? ring.byKid.get(header.kid) : undefined;
    if (local) {
      // The key decides the algorithm: a token naming another one is refused (no confusion).
      if (local.alg !== header.alg) throw new TokenRejected("algorithm_mismatch");
      return local.key;
    }
    if (ring.remote) return ring.remote(header, input);
    throw new TokenRejected("unknown_kid");
  };
  try {
    const { payload } = await jwtVerify(token, getKey, {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      algorithms: ring.algorithms,
      clockTolerance: config.JWT_CLOCK_SKEW_SECONDS,
      currentDate: new Date(now * 1000),
      requiredClaims: ["sub", "jti", "iat", "nbf", "exp", "tid", "roles"],
    });
    const { tid, roles, sty, fam } = payload as Partial<AccessClaims>;
    if (
      typeof tid !== "string" ||
      !Array.isArray(roles) ||
      !roles.every((role) => typeof role === "string")
    ) {
      throw new TokenRejected("bad_claims");
    }
    if (payload.iat !== undefined && payload.iat > now + config.JWT_CLOCK_SKEW_SECONDS) {
      throw new TokenRejected("issued_in_future");
    }
    return {
      ...payload,
      sub: payload.sub as string,
      jti: payload.jti as string,
      tid,
      roles,
      sty: sty === "api_key" ? "api_key" : "principal",
      ...(typeof fam === "string" ? { fam } : {}),
    };
  } catch (error) {
    if (error instanceof TokenRejected) throw error;
    throw new TokenRejected(reasonOf(error));
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "expired";
  if (error instanceof errors.JWTClaimValidationFailed) return `claim_${error.claim}`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return "bad_signature";
  if (error instanceof errors.JOSEAlgNotAllowed) return "algorithm_not_accepted";
  if (error instanceof errors.JWKSNoMatchingKey) return "unknown_kid";
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return "malformed";
  if (error instanceof errors.JOSEError) return error.code.toLowerCase();
  return "malformed";
}

export async function publicJwks(config: Config): Promise<{ keys: JWK[] }> {
  return { keys: (await keyRing(config)).publicJwks };
}
