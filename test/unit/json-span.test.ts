import { describe, expect, it } from "vitest";
import { rawMember } from "../../src/lib/json-span";

describe("rawMember", () => {
  it("returns a member's text as sent, whitespace and all", () => {
    const text = '{ "name": "x",  "payload" :  {\n  "a": [1, 2, {"b": "}]\\""}],\n  "c": null\n} , "z": 1 }';
    expect(rawMember(text, "payload")).toBe('{\n  "a": [1, 2, {"b": "}]\\""}],\n  "c": null\n}');
    expect(rawMember(text, "z")).toBe("1");
    expect(rawMember(text, "name")).toBe('"x"');
    expect(rawMember(text, "missing")).toBeUndefined();
  });

  it("finds escaped keys, takes the last duplicate, and skips nested look-alikes", () => {
    expect(rawMember('{"pay\\u006coad": [ 1 ]}', "payload")).toBe("[ 1 ]");
    expect(rawMember('{"payload": 1, "payload": {"k": 2}}', "payload")).toBe('{"k": 2}');
    expect(rawMember('{"outer": {"payload": 5}}', "payload")).toBeUndefined();
  });

  it("agrees with JSON.parse on the value", () => {
    const body = {
      name: "n",
      payload: { list: [1, "two", { three: [true, false, null] }], s: 'a"b\\\\c{}[]' },
      ok: true,
    };
    const text = JSON.stringify(body, null, 3);
    expect(JSON.parse(rawMember(text, "payload") ?? "")).toEqual(body.payload);
  });
});
