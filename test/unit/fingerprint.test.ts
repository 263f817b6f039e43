import { describe, expect, it } from "vitest";
import { fingerprint, groupFingerprint, receiverFingerprint } from "../../src/domain/fingerprint";

// Computed here with WebCrypto directly, not with src/lib/crypto, so the vectors are independent.
async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

const identity = {
  name: "build",
  type: "ci",
  version: "1.0.0",
  schema: { type: "object", properties: { size: { type: "integer", minimum: 1 } }, required: ["size"] },
};
// RFC 8785 by hand: keys sorted by UTF-16 code units at every level, no whitespace.
const identityCanonical =
  '{"name":"build","schema":{"properties":{"size":{"minimum":1,"type":"integer"}},"required":["size"],"type":"object"},"type":"ci","version":"1.0.0"}';

describe("fingerprint", () => {
  it("is the lowercase hex SHA-256 of the canonical JSON", async () => {
    // SHA-256("{}"), a published constant.
    expect(await fingerprint({})).toBe("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    expect(await fingerprint(identity)).toBe(await sha256(identityCanonical));
    expect(await fingerprint(identity)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("matches the RFC 8785 example (number formatting and string escaping)", async () => {
    const input = JSON.parse(String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`);
    const canonical = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;
    expect(await fingerprint(input)).toBe(await sha256(canonical));
  });

  it("sorts keys by UTF-16 code units (RFC 8785 §3.2.3)", async () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    const canonical =
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
      '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}';
    expect(await fingerprint(input)).toBe(await sha256(canonical));
  });

  it("ignores key order, whitespace and number spelling", async () => {
    const reordered = JSON.parse(`{
      "version" : "1.0.0",
      "schema" : { "required" : [ "size" ], "type" : "object",
                   "properties" : { "size" : { "minimum" : 1.0e0, "type" : "integer" } } },
      "type" : "ci",
      "name" : "build"
    }`);
    const expected = await fingerprint(identity);
    expect(await fingerprint(reordered)).toBe(expected);
    expect(await fingerprint(JSON.parse(JSON.stringify(identity, null, 4)))).toBe(expected);
    expect(await fingerprint({ a: 100, b: 1.5, c: -0 })).toBe(
      await fingerprint(JSON.parse('{"c":0,"b":1.50,"a":1E2}')),
    );
  });

  it("keeps array order and every value significant", async () => {
    expect(await fingerprint({ a: [1, 2] })).not.toBe(await fingerprint({ a: [2, 1] }));
    expect(await fingerprint({ a: "1" })).not.toBe(await fingerprint({ a: 1 }));
  });

  it("refuses values JSON cannot represent", async () => {
    await expect(fingerprint({ n: Number.NaN })).rejects.toThrow();
    await expect(fingerprint({ n: Number.POSITIVE_INFINITY })).rejects.toThrow();
  });
});

describe("receiverFingerprint", () => {
  it("covers {name, type, version, schema}", async () => {
    expect(await receiverFingerprint(identity)).toBe(await sha256(identityCanonical));
  });

  it("ignores every other field", async () => {
    const stored = { ...identity, id: "01J00000000000000000000000", description: "anything" };
    expect(await receiverFingerprint(stored)).toBe(await receiverFingerprint(identity));
  });

  it("changes with the schema and with each identity field", async () => {
    const base = await receiverFingerprint(identity);
    const changed = [
      { ...identity, schema: { ...identity.schema, required: [] } },
      { ...identity, name: "build2" },
      { ...identity, type: "cd" },
      { ...identity, version: "1.0.1" },
    ];
    for (const variant of changed) expect(await receiverFingerprint(variant)).not.toBe(base);
  });
});

describe("groupFingerprint", () => {
  it("covers {name, type, version} only", async () => {
    const group = { name: "release", type: "gate", version: "2" };
    const expected = await sha256('{"name":"release","type":"gate","version":"2"}');
    expect(await groupFingerprint(group)).toBe(expected);
    expect(await groupFingerprint({ ...group, schema: { type: "object" } } as typeof group)).toBe(expected);
  });

  it("differs from the receiver fingerprint of the same identity", async () => {
    expect(await groupFingerprint(identity)).not.toBe(await receiverFingerprint(identity));
  });
});
