// Receiver and group fingerprints (API.md "Fingerprints"): SHA-256 of the RFC 8785 canonical JSON.
import canonicalize from "canonicalize";
import { sha256Hex } from "../lib/crypto";

export interface ReceiverIdentity {
  name: string;
  type: string;
  version: string;
  schema: object;
}

export type GroupIdentity = Omit<ReceiverIdentity, "schema">;

/** Lowercase hex SHA-256 of the JCS (RFC 8785) form of `value`. */
export async function fingerprint(value: object): Promise<string> {
  const canonical = canonicalize(value);
  // Only a value whose toJSON() yields undefined has no JSON form.
  if (canonical === undefined) throw new TypeError("fingerprint: the value has no JSON form");
  return sha256Hex(canonical);
}

// Destructured so that other fields of a receiver or group (id, description…) never change it.
export function receiverFingerprint({ name, type, version, schema }: ReceiverIdentity): Promise<string> {
  return fingerprint({ name, type, version, schema });
}

export function groupFingerprint({ name, type, version }: GroupIdentity): Promise<string> {
  return fingerprint({ name, type, version });
}
