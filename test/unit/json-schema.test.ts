import { describe, expect, it } from "vitest";
import {
  checkSchemaDocument,
  VALIDATOR_CACHE_SIZE,
  validatePayload,
  validatorFor,
} from "../../src/domain/json-schema";

const DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema";
const DRAFT_07 = "http://json-schema.org/draft-07/schema#";

// The validator cache lives for the whole isolate: every test takes fingerprints of its own.
let counter = 0;
const newFingerprint = () => `test-fingerprint-${counter++}`;

const WRAPPER_TEXT = /subschema had errors|does not match schema|did not match|additional properties schema/;

describe("checkSchemaDocument", () => {
  const ordinary = {
    type: "object",
    properties: {
      size: { type: "integer", minimum: 0 },
      name: { type: "string", minLength: 1, pattern: "^[a-z][a-z0-9-]*$" },
      tags: { type: "array", items: { type: "string" }, uniqueItems: true },
      when: { type: "string", format: "date-time" },
      kind: { enum: ["a", "b"] },
      meta: { type: ["object", "null"], additionalProperties: { type: "string" } },
    },
    required: ["size"],
    additionalProperties: false,
  };

  it.each([
    ["an ordinary schema without $schema (2020-12)", ordinary],
    ["an ordinary 2020-12 schema", { $schema: DRAFT_2020_12, ...ordinary }],
    ["an ordinary draft-07 schema", { $schema: DRAFT_07, ...ordinary }],
    ["draft-07 named without the empty fragment", { $schema: DRAFT_07.slice(0, -1), type: "string" }],
    ["the empty schema", {}],
    [
      "2020-12 $defs, $ref, prefixItems, if/then, dependentRequired, unevaluatedProperties",
      {
        $defs: { positive: { type: "integer", exclusiveMinimum: 0 } },
        type: "object",
        properties: {
          n: { $ref: "#/$defs/positive" },
          pair: { type: "array", prefixItems: [{ type: "string" }, { type: "number" }], items: false },
        },
        if: { required: ["n"] },
        // biome-ignore lint/suspicious/noThenProperty: a JSON Schema keyword.
        then: { required: ["pair"] },
        dependentRequired: { n: ["pair"] },
        unevaluatedProperties: false,
      },
    ],
    [
      "draft-07 definitions, tuple items, additionalItems, dependencies",
      {
        $schema: DRAFT_07,
        definitions: { s: { type: "string" } },
        type: "object",
        properties: { t: { type: "array", items: [{ $ref: "#/definitions/s" }], additionalItems: false } },
        dependencies: { t: ["u"], u: { required: ["t"] } },
      },
    ],
    ["a $ref to an $anchor", { $defs: { a: { $anchor: "thing", type: "string" } }, $ref: "#thing" }],
    ["$ref-looking data inside const", { const: { $ref: "https://example.com/not-a-schema" } }],
  ])("accepts %s", (_label, schema) => {
    expect(checkSchemaDocument(schema)).toEqual([]);
  });

  it.each([
    ["null", null],
    ["an array", [{ type: "string" }]],
    ["a string", "object"],
    ["a number", 1],
    ["a boolean schema", true],
  ])("rejects %s: the schema must be a JSON object", (_label, schema) => {
    expect(checkSchemaDocument(schema)).toEqual([
      { path: "schema", message: expect.stringMatching(/JSON object/) },
    ]);
  });

  it.each([
    ["draft-04", "http://json-schema.org/draft-04/schema#"],
    ["2019-09", "https://json-schema.org/draft/2019-09/schema"],
    ["draft-07 over https", "https://json-schema.org/draft-07/schema#"],
    ["an arbitrary URI", "https://example.com/my-meta-schema"],
    ["a name of Object.prototype", "constructor"],
    ["a non-string", 7],
  ])("rejects $schema %s with one detail naming the supported drafts", (_label, $schema) => {
    const details = checkSchemaDocument({ $schema, type: "object" });
    expect(details).toHaveLength(1);
    expect(details[0]?.path).toBe("schema.$schema");
    expect(details[0]?.message).toContain(DRAFT_2020_12);
    expect(details[0]?.message).toContain(DRAFT_07);
  });

  describe.each([
    ["2020-12 (default)", {}],
    ["draft-07", { $schema: DRAFT_07 }],
  ])("against the %s meta-schema", (_draft, header) => {
    it.each([
      [{ type: "strin" }, "schema.type"],
      [{ type: ["string", "string"] }, "schema.type"],
      [{ properties: 5 }, "schema.properties"],
      [{ required: "a" }, "schema.required"],
      [{ required: ["a", 1] }, "schema.required.1"],
      [{ minimum: "x" }, "schema.minimum"],
      [{ minLength: -1 }, "schema.minLength"],
      [{ maxItems: 1.5 }, "schema.maxItems"],
      [{ multipleOf: 0 }, "schema.multipleOf"],
      [{ pattern: "(" }, "schema.pattern"],
      [{ enum: "a" }, "schema.enum"],
      [{ anyOf: [] }, "schema.anyOf"],
      [{ anyOf: [{ type: "nope" }] }, "schema.anyOf.0.type"],
      [{ properties: { a: { type: "strin" } } }, "schema.properties.a.type"],
      [
        { properties: { a: { properties: { b: { minimum: "x" } } } } },
        "schema.properties.a.properties.b.minimum",
      ],
      [{ additionalProperties: { type: 1 } }, "schema.additionalProperties.type"],
      [{ not: { required: {} } }, "schema.not.required"],
      [{ patternProperties: { "[": { type: "string" } } }, "schema.patternProperties.["],
      [{ $ref: 5 }, "schema.$ref"],
    ])("rejects %j at %s, once", (schema, path) => {
      const details = checkSchemaDocument({ ...header, ...schema });
      expect(details).toEqual([{ path, message: expect.any(String) }]);
      expect(details[0]?.message).not.toMatch(WRAPPER_TEXT);
    });

    it("reports every problem of a schema, one detail each", () => {
      const details = checkSchemaDocument({
        ...header,
        type: "object",
        properties: { a: { type: "strin" }, b: { minLength: "1" } },
        required: "a",
      });
      expect(details.map((detail) => detail.path).sort()).toEqual([
        "schema.properties.a.type",
        "schema.properties.b.minLength",
        "schema.required",
      ]);
    });
  });

  it("says when a property name, not a value, is wrong", () => {
    expect(checkSchemaDocument({ patternProperties: { "[": {} } })).toEqual([
      {
        path: "schema.patternProperties.[",
        message: 'Property name "[" is invalid: String does not match format "regex".',
      },
    ]);
    const schema = { type: "object", propertyNames: { maxLength: 3 } };
    expect(validatePayload(schema, newFingerprint(), { ok: 1, toolong: 2 })).toEqual([
      { path: "payload.toolong", message: 'Property name "toolong" is invalid: String is too long (7 > 3).' },
    ]);
  });

  it("checks a subschema under items (draft-07 also allows an array there)", () => {
    expect(checkSchemaDocument({ items: { minLength: -1 } })).toEqual([
      { path: "schema.items.minLength", message: "-1 is less than 0." },
    ]);
    expect(checkSchemaDocument({ $schema: DRAFT_07, items: { minLength: -1 } })).toEqual([
      {
        path: "schema.items",
        message:
          'Instance does not match any subschemas (option 0 at minLength: -1 is less than 0; option 1: Instance type "object" is invalid. Expected "array").',
      },
    ]);
  });

  it("names the allowed types when a type is misspelt", () => {
    const [detail] = checkSchemaDocument({ type: "strin" });
    expect(detail?.message).toContain('"string"');
  });

  it("checks $defs subschemas in 2020-12 and definitions in draft-07", () => {
    expect(checkSchemaDocument({ $defs: { x: { type: 3 } } })).toEqual([
      { path: "schema.$defs.x.type", message: expect.any(String) },
    ]);
    expect(checkSchemaDocument({ $schema: DRAFT_07, definitions: { x: { type: 3 } } })).toEqual([
      { path: "schema.definitions.x.type", message: expect.any(String) },
    ]);
  });

  it.each([
    ["a remote $ref", { $ref: "https://example.com/other.json" }, "schema.$ref"],
    ["a relative file $ref", { properties: { a: { $ref: "other.json" } } }, "schema.properties.a.$ref"],
    ["a pointer to nothing", { properties: { a: { $ref: "#/$defs/missing" } } }, "schema.properties.a.$ref"],
    ["a missing anchor", { items: { $ref: "#nowhere" } }, "schema.items.$ref"],
  ])("rejects %s: nothing is fetched", (_label, schema, path) => {
    expect(checkSchemaDocument(schema)).toEqual([
      { path, message: expect.stringMatching(/does not resolve/) },
    ]);
  });

  it("refuses $dynamicRef, which the validator would not enforce", () => {
    const details = checkSchemaDocument({
      $dynamicAnchor: "node",
      properties: { children: { type: "array", items: { $dynamicRef: "#node" } } },
    });
    expect(details.map((detail) => detail.path).sort()).toEqual([
      "schema.$dynamicAnchor",
      "schema.properties.children.items.$dynamicRef",
    ]);
  });

  it("reports two subschemas claiming the same $id", () => {
    const details = checkSchemaDocument({
      $defs: { a: { $id: "https://example.com/x" }, b: { $id: "https://example.com/x" } },
    });
    expect(details).toEqual([{ path: "schema", message: expect.stringMatching(/Duplicate schema URI/) }]);
  });

  it("leaves the schema it checks untouched", () => {
    const schema = { $defs: { s: { type: "string" } }, properties: { a: { $ref: "#/$defs/s" } } };
    const before = JSON.stringify(schema);
    checkSchemaDocument(schema);
    expect(JSON.stringify(schema)).toBe(before);
    expect(Object.getOwnPropertyNames(schema.properties.a)).toEqual(["$ref"]);
  });
});

describe("validatePayload", () => {
  const receiverSchema = {
    type: "object",
    properties: {
      size: { type: "integer", minimum: 1 },
      name: { type: "string", minLength: 1 },
      items: {
        type: "array",
        items: {
          type: "object",
          properties: { name: { type: "string" }, qty: { type: "integer" } },
          required: ["name"],
          additionalProperties: false,
        },
      },
    },
    required: ["size", "name"],
    additionalProperties: false,
  };

  it("returns nothing for a valid payload", () => {
    const payload = { size: 3, name: "pkg", items: [{ name: "a", qty: 1 }, { name: "b" }] };
    expect(validatePayload(receiverSchema, newFingerprint(), payload)).toEqual([]);
  });

  it("reports each violation once, at its path, without the library's wrapper errors", () => {
    const payload = {
      size: "big",
      name: "",
      items: [{ name: 1, qty: 2 }, { qty: 1.5 }, { name: "ok", colour: "red" }],
      extra: true,
    };
    const details = validatePayload(receiverSchema, newFingerprint(), payload);
    expect(details).toHaveLength(7);
    expect(details).toEqual(
      expect.arrayContaining([
        { path: "payload.size", message: 'Instance type "string" is invalid. Expected "integer".' },
        { path: "payload.name", message: "String is too short (0 < 1)." },
        { path: "payload.items.0.name", message: 'Instance type "number" is invalid. Expected "string".' },
        { path: "payload.items.1", message: 'Instance does not have required property "name".' },
        { path: "payload.items.1.qty", message: 'Instance type "number" is invalid. Expected "integer".' },
        { path: "payload.items.2.colour", message: 'Property "colour" is not allowed.' },
        { path: "payload.extra", message: 'Property "extra" is not allowed.' },
      ]),
    );
    for (const detail of details) expect(detail.message).not.toMatch(WRAPPER_TEXT);
  });

  it("reports every missing required property", () => {
    expect(validatePayload(receiverSchema, newFingerprint(), {})).toEqual([
      { path: "payload", message: 'Instance does not have required property "size".' },
      { path: "payload", message: 'Instance does not have required property "name".' },
    ]);
  });

  it("paths into nested arrays", () => {
    const schema = {
      type: "object",
      properties: { matrix: { type: "array", items: { type: "array", items: { type: "integer" } } } },
    };
    const details = validatePayload(schema, newFingerprint(), {
      matrix: [
        [1, 2],
        [3, "x", 5.5],
      ],
    });
    expect(details.map((detail) => detail.path)).toEqual(["payload.matrix.1.1", "payload.matrix.1.2"]);
  });

  it("unescapes JSON pointer and URI escapes in property names", () => {
    const schema = { type: "object", additionalProperties: { type: "string" } };
    const details = validatePayload(schema, newFingerprint(), { "a/b": 1, "c~d": 2, "é x%#": 3, "~1": 4 });
    expect(details.map((detail) => detail.path).sort()).toEqual([
      "payload.a/b",
      "payload.c~d",
      "payload.~1",
      "payload.é x%#",
    ]);
  });

  it("reports a failed anyOf once, with the reasons of its options", () => {
    const schema = { type: "object", properties: { v: { anyOf: [{ type: "string" }, { type: "null" }] } } };
    const details = validatePayload(schema, newFingerprint(), { v: 1 });
    expect(details).toHaveLength(1);
    expect(details[0]?.path).toBe("payload.v");
    expect(details[0]?.message).toMatch(
      /^Instance does not match any subschemas \(option 0: .*"string".*; option 1: .*"null".*\)\.$/,
    );
  });

  it("names the nested paths in the reasons of an anyOf", () => {
    const schema = {
      anyOf: [
        { type: "object", properties: { a: { type: "string" } } },
        { type: "object", required: ["b"] },
      ],
    };
    const [detail, ...rest] = validatePayload(schema, newFingerprint(), { a: 1 });
    expect(rest).toEqual([]);
    expect(detail?.path).toBe("payload");
    expect(detail?.message).toBe(
      'Instance does not match any subschemas (option 0 at a: Instance type "number" is invalid. Expected "string"; ' +
        'option 1: Instance does not have required property "b").',
    );
  });

  it("reports a oneOf matched twice once, without the reasons of the options that failed", () => {
    const schema = { oneOf: [{ type: "integer" }, { type: "number" }, { type: "string" }] };
    expect(validatePayload(schema, newFingerprint(), 1)).toEqual([
      { path: "payload", message: "Instance does not match exactly one subschema (2 matches)." },
    ]);
  });

  it("reports a contains that no item satisfies once", () => {
    const schema = { type: "array", contains: { type: "integer", minimum: 10 } };
    expect(validatePayload(schema, newFingerprint(), [1, "a", 2])).toEqual([
      { path: "payload", message: "Array does not contain item matching schema." },
    ]);
  });

  it("reports what then requires, not the if wrapper", () => {
    const schema = {
      type: "object",
      if: { properties: { success: { const: false } }, required: ["success"] },
      // biome-ignore lint/suspicious/noThenProperty: a JSON Schema keyword.
      then: { required: ["reason"] },
    };
    expect(validatePayload(schema, newFingerprint(), { success: false })).toEqual([
      { path: "payload", message: 'Instance does not have required property "reason".' },
    ]);
    expect(validatePayload(schema, newFingerprint(), { success: true })).toEqual([]);
  });

  it("follows $ref and reports the referenced violation once", () => {
    const schema = {
      $defs: { version: { type: "string", pattern: "^\\d+\\.\\d+\\.\\d+$" } },
      type: "object",
      properties: { from: { $ref: "#/$defs/version" }, to: { $ref: "#/$defs/version" } },
    };
    expect(validatePayload(schema, newFingerprint(), { from: "1.2", to: "1.2.3" })).toEqual([
      { path: "payload.from", message: "String does not match pattern." },
    ]);
  });

  it("honours the draft: draft-07 ignores keywords beside $ref, 2020-12 applies them", () => {
    const property = { $ref: "#/definitions/s", maxLength: 1 };
    const draft07 = {
      $schema: DRAFT_07,
      definitions: { s: { type: "string" } },
      properties: { a: property },
    };
    const draft2020 = { definitions: { s: { type: "string" } }, properties: { a: property } };
    expect(validatePayload(draft07, newFingerprint(), { a: "abc" })).toEqual([]);
    expect(validatePayload(draft2020, newFingerprint(), { a: "abc" })).toEqual([
      { path: "payload.a", message: "String is too long (3 > 1)." },
    ]);
  });

  it("applies draft-07 tuple items and additionalItems", () => {
    const schema = { $schema: DRAFT_07, type: "array", items: [{ type: "string" }], additionalItems: false };
    expect(validatePayload(schema, newFingerprint(), [1, 2])).toEqual([
      { path: "payload.0", message: 'Instance type "number" is invalid. Expected "string".' },
      { path: "payload.1", message: "Item 1 is not allowed." },
    ]);
  });

  it("checks the formats the library knows and ignores the others", () => {
    const schema = {
      type: "object",
      properties: {
        at: { type: "string", format: "date-time" },
        mail: { type: "string", format: "email" },
        id: { type: "string", format: "uuid" },
        ip: { type: "string", format: "ipv4" },
        day: { type: "string", format: "date" },
        custom: { type: "string", format: "ulid" },
      },
    };
    const bad = { at: "yesterday", mail: "nobody", id: "123", ip: "1.2.3", day: "2024-13-01", custom: "!" };
    expect(validatePayload(schema, newFingerprint(), bad).map((detail) => detail.path)).toEqual([
      "payload.at",
      "payload.mail",
      "payload.id",
      "payload.ip",
      "payload.day",
    ]);
    const good = {
      at: "2024-05-01T12:00:00Z",
      mail: "dev@example.com",
      id: "6f1c2f5e-8a4b-4c1d-9e2f-3a4b5c6d7e8f",
      ip: "10.0.0.1",
      day: "2024-02-29",
      custom: "anything",
    };
    expect(validatePayload(schema, newFingerprint(), good)).toEqual([]);
  });

  it("words maxProperties and exclusiveMinimum correctly", () => {
    const schema = {
      type: "object",
      maxProperties: 1,
      properties: { n: { exclusiveMinimum: 5 } },
    };
    expect(validatePayload(schema, newFingerprint(), { n: 5, m: 1 })).toEqual([
      { path: "payload", message: "Instance has more than 1 properties." },
      { path: "payload.n", message: "5 is less than or equal to 5." },
    ]);
  });

  it("reports properties refused by unevaluatedProperties: false", () => {
    const schema = {
      type: "object",
      allOf: [{ properties: { a: { type: "integer" } } }],
      unevaluatedProperties: false,
    };
    expect(validatePayload(schema, newFingerprint(), { a: 1, b: 2 })).toEqual([
      { path: "payload.b", message: 'Property "b" is not allowed.' },
    ]);
  });

  it("reports keys refused by propertyNames: false as property names", () => {
    const schema = { type: "object", properties: { nested: { type: "object", propertyNames: false } } };
    expect(validatePayload(schema, newFingerprint(), { nested: { x: 1 } })).toEqual([
      { path: "payload.nested.x", message: 'Property name "x" is not allowed.' },
    ]);
  });

  it("tells the draft-07 dependencies forms apart: a list is a leaf, a schema is a wrapper", () => {
    const schema = {
      $schema: DRAFT_07,
      dependencies: {
        card: ["billing"],
        ship: { required: ["address"], properties: { address: { type: "string" } } },
      },
    };
    expect(validatePayload(schema, newFingerprint(), { card: 1, ship: true })).toEqual([
      { path: "payload", message: 'Instance has "card" but does not have "billing".' },
      { path: "payload", message: 'Instance does not have required property "address".' },
    ]);
  });

  it("reports the payload itself when it has the wrong type", () => {
    expect(validatePayload({ type: "object" }, newFingerprint(), "text")).toEqual([
      { path: "payload", message: 'Instance type "string" is invalid. Expected "object".' },
    ]);
  });

  it("turns a property name with a lone surrogate into a detail, not an exception", () => {
    const payload = JSON.parse('{"\\ud800": 1}');
    expect(
      validatePayload({ type: "object", additionalProperties: false }, newFingerprint(), payload),
    ).toEqual([{ path: "payload", message: expect.stringMatching(/not well-formed Unicode/) }]);
  });

  it("leaves the receiver schema untouched", () => {
    const schema = { $defs: { s: { type: "string" } }, properties: { a: { $ref: "#/$defs/s" } } };
    validatePayload(schema, newFingerprint(), { a: 1 });
    expect(Object.getOwnPropertyNames(schema)).toEqual(["$defs", "properties"]);
    expect(Object.getOwnPropertyNames(schema.properties.a)).toEqual(["$ref"]);
  });
});

describe("validatorFor (the per-isolate cache)", () => {
  const schemaA = { type: "object", required: ["a"] };
  const schemaB = { type: "object", required: ["b"] };

  it("returns the cached validator for a fingerprint it has seen", () => {
    const fingerprint = newFingerprint();
    const first = validatorFor(schemaA, fingerprint);
    expect(validatorFor(schemaA, fingerprint)).toBe(first);
    expect(validatorFor(schemaA, newFingerprint())).not.toBe(first);
  });

  it("is keyed by fingerprint: a hit does not recompile", () => {
    const fingerprint = newFingerprint();
    expect(validatePayload(schemaA, fingerprint, { b: 1 })).toHaveLength(1);
    // Same fingerprint, other schema: the compiled schema A answers (the fingerprint covers the schema).
    expect(validatePayload(schemaB, fingerprint, { b: 1 })).toEqual([
      { path: "payload", message: 'Instance does not have required property "a".' },
    ]);
  });

  it(`keeps at most ${VALIDATOR_CACHE_SIZE} validators, evicting the least recently used`, () => {
    const kept = newFingerprint();
    const evicted = newFingerprint();
    const keptValidator = validatorFor(schemaA, kept);
    const evictedValidator = validatorFor(schemaA, evicted);
    for (let i = 0; i < VALIDATOR_CACHE_SIZE - 1; i++) {
      validatorFor(schemaA, newFingerprint());
      // Used all along, so never the least recently used.
      validatorFor(schemaA, kept);
    }
    expect(validatorFor(schemaA, kept)).toBe(keptValidator);
    expect(validatorFor(schemaA, evicted)).not.toBe(evictedValidator);
  });
});
