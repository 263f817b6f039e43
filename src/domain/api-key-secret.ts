// API key secrets: `xzepr_` + 64 hex characters, stored only as their SHA-256.
import { randomHex, sha256Hex } from "../lib/crypto";

export const API_KEY_PATTERN = /^xzepr_[0-9a-f]{64}$/;
const PREFIX_LENGTH = "xzepr_".length + 8;

export interface NewApiKeySecret {
  /** The secret, shown to its owner once. */
  key: string;
  /** Safe to display and list by. */
  prefix: string;
  hash: string;
}

export async function newApiKeySecret(): Promise<NewApiKeySecret> {
  const key = `xzepr_${randomHex(32)}`;
  return { key, prefix: key.slice(0, PREFIX_LENGTH), hash: await sha256Hex(key) };
}
