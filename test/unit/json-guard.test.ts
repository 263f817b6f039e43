import { describe, expect, it } from "vitest";
import { guardJson, JsonGuardError } from "../../src/lib/json-guard";

const refusal = (text: string, depth?: number) => {
  try {
    guardJson(text, depth);
  } catch (error) {
    if (error instanceof JsonGuardError) return { path: error.path, message: error.message };
    throw error;
  }
  return undefined;
};

describe("guardJson", () => {
  it("accepts ordinary JSON of every kind", () => {
    for (const text of [
      '{"a":[1,-2.5e3,true,false,null,"x\\n\\u00e9"],"b":{}}',
      "[]",
      '"s"',
      "0",
      " 1 ",
      "[[],{}]",
    ]) {
      expect(refusal(text), text).toBeUndefined();
    }
  });

  it("names the member at fault", () => {
    expect(refusal('{"a":{"b":[1,{"c":"\\u0000"}]}}')).toEqual({
      path: "a.b.1.c",
      message: expect.stringMatching(/NUL/),
    });
    expect(refusal('{"a":1e999}')?.path).toBe("a");
    expect(refusal('[0,{"k":1,"k":2}]')).toEqual({ path: "1.k", message: "is a duplicate key" });
  });

  it("counts depth without recursion: a million levels cost a counter", () => {
    expect(refusal("[".repeat(1_000_000))?.message).toMatch(/deeper than 128/);
    expect(refusal(`${"[".repeat(128)}${"]".repeat(128)}`)).toBeUndefined();
    expect(refusal(`${"[".repeat(129)}${"]".repeat(129)}`)?.message).toMatch(/deeper than 128/);
    expect(refusal(`${"[".repeat(3)}${"]".repeat(3)}`, 2)?.message).toMatch(/deeper than 2/);
  });

  it("refuses numbers JSON.parse would change, and keeps those it would not (what reads back as sent)", () => {
    for (const number of [
      "1e309",
      "-1e309",
      "1e-400",
      "0.0000e-999999",
      "9007199254740993",
      "-9007199254740993",
      "123456789012345678901234567890",
      "100000000000000000001",
    ]) {
      if (number === "0.0000e-999999")
        expect(refusal(number)).toBeUndefined(); // zero is zero
      else expect(refusal(number), number).toBeDefined();
    }
    for (const number of [
      "9007199254740991",
      "-9007199254740991",
      // Past 2^53 but held digit for digit: they read back exactly as sent (JSON.stringify writes them).
      "9007199254740992",
      "100000000000000000000",
      "-30441752250422570000",
      "1000000000000000000000",
      "1.7976931348623157e308",
      "5e-324",
      "0.1",
    ]) {
      expect(refusal(number), number).toBeUndefined();
    }
  });

  it("checks surrogate pairs in keys and values", () => {
    expect(refusal('{"\\ud83d\\ude00":"\\ud83d\\ude00"}')).toBeUndefined();
    expect(refusal('{"\\ud83d":1}')?.message).toBe("has a lone surrogate");
    expect(refusal('["\\ude00"]')).toEqual({ path: "0", message: "has a lone surrogate" });
    expect(refusal('["\\ud83d\\u0041"]')?.message).toBe("has a lone surrogate");
  });

  it("compares keys as parsed, escapes resolved", () => {
    expect(refusal('{"a\\nb":1,"anb":2,"a/b":3}')).toBeUndefined();
    expect(refusal('{"aA":1,"a\\u0041":2}')).toEqual({ path: "aA", message: "is a duplicate key" });
    expect(refusal('{"a/":1,"a\\/":2}')?.message).toBe("is a duplicate key");
  });

  it("leaves syntax errors to JSON.parse", () => {
    for (const text of ["{", '{"a" 1}', "[1,]", "tru", '"open']) {
      expect(() => guardJson(text), text).toThrow(SyntaxError);
    }
  });
});
