// Webhook signatures as Standard Webhooks defines them (standardwebhooks.com), so that the
// verifier libraries that exist for it check ours: the secret is `whsec_` + base64 of random
// bytes; the signature of a delivery is base64 HMAC-SHA256, keyed by the secret's bytes, over
// `<webhook-id>.<webhook-timestamp>.<body>`, sent as `v1,<signature>`; during a rotation each
// secret signs, the signatures separated by a space, and a receiver accepts any that matches.
import { hmacKey, toBase64 } from "./crypto";

export const SECRET_PREFIX = "whsec_";
const SECRET_BYTES = 32;

/** A new signing secret: 32 random bytes. */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

/** The `webhook-signature` header of a delivery: one `v1,…` per secret, space-separated. */
export async function signWebhook(
  secrets: readonly string[],
  delivery: { id: string; timestamp: number; body: string },
): Promise<string> {
  const content = new TextEncoder().encode(`${delivery.id}.${delivery.timestamp}.${delivery.body}`);
  const signatures = await Promise.all(
    secrets.map(async (secret) => {
      const bytes = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
      const mac = await crypto.subtle.sign("HMAC", await hmacKey(bytes, "base64"), content);
      return `v1,${toBase64(new Uint8Array(mac))}`;
    }),
  );
  return signatures.join(" ");
}
