// Small WebCrypto helpers shared by the Worker and the Node scripts.
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), (byte) =>
    byte.toString(16).padStart(2, "0"),
  ).join("");
}

export async function sha256Hex(input: string | Uint8Array<ArrayBuffer>): Promise<string> {
  const data = typeof input === "string" ? new TextEncoder().encode(input) : input;
  return toHex(await crypto.subtle.digest("SHA-256", data));
}

/** Base64 of bytes (a loop, not a spread: no argument-count limit on long input). */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
export const fromBase64 = (text: string) => Uint8Array.from(atob(text), (char) => char.charCodeAt(0));

/** SHA-256 as base64, the form of a Content-Security-Policy source hash. */
export async function sha256Base64(input: string): Promise<string> {
  return toBase64(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(input))));
}

const hmacKeys = new Map<string, Promise<CryptoKey>>();

/**
 * An HMAC-SHA256 key (sign and verify) for a secret, imported once per isolate: the secret's
 * UTF-8 bytes, or the bytes its base64 text stands for. At most 1,024 are kept.
 */
export function hmacKey(secret: string, encoding: "utf8" | "base64"): Promise<CryptoKey> {
  const id = `${encoding}:${secret}`;
  let key = hmacKeys.get(id);
  if (!key) {
    const bytes =
      encoding === "utf8"
        ? new TextEncoder().encode(secret)
        : Uint8Array.from(atob(secret), (c) => c.charCodeAt(0));
    key = crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    if (hmacKeys.size >= 1024) hmacKeys.clear();
    hmacKeys.set(id, key);
  }
  return key;
}

export function randomHex(bytes: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(bytes)));
}
