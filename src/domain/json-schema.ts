// Receiver schemas: is a schema itself valid JSON Schema (2020-12 or 7), and does a payload satisfy it.
import {
  dereference,
  type OutputUnit,
  type Schema,
  type SchemaDraft,
  Validator,
} from "@cfworker/json-schema";
import type { ErrorDetail } from "../lib/errors";

type SupportedDraft = Extract<SchemaDraft, "2020-12" | "7">;

const DRAFT_2020_12_URI = "https://json-schema.org/draft/2020-12/schema";
const DRAFT_07_URI = "http://json-schema.org/draft-07/schema#";

// A Map, not an object literal: `$schema: "constructor"` must not find Object's prototype.
const DRAFTS = new Map<string, SupportedDraft>([
  [DRAFT_2020_12_URI, "2020-12"],
  [`${DRAFT_2020_12_URI}#`, "2020-12"],
  [DRAFT_07_URI, "7"],
  ["http://json-schema.org/draft-07/schema", "7"],
]);

/** Bound of the per-isolate cache of compiled payload validators. */
export const VALIDATOR_CACHE_SIZE = 256;

/**
 * Checks that `schema` is a JSON Schema this service can enforce: a JSON object, of draft 2020-12
 * (default) or 7 as `$schema` says, valid against that draft's meta-schema, whose `$ref`s all resolve
 * inside the document. Returns one detail per problem, with paths under `schema`.
 */
export function checkSchemaDocument(schema: unknown): ErrorDetail[] {
  if (!isJsonObject(schema)) return [{ path: "schema", message: "The schema must be a JSON object." }];
  const draft = draftOf(schema);
  if (draft === undefined) {
    return [
      {
        path: "schema.$schema",
        message: `Unsupported $schema ${JSON.stringify(schema.$schema)}: use "${DRAFT_2020_12_URI}" (the default when $schema is absent) or "${DRAFT_07_URI}".`,
      },
    ];
  }
  let result: ReturnType<Validator["validate"]>;
  try {
    result = metaValidator(draft).validate(schema);
  } catch (error) {
    return [{ path: "schema", message: malformedKeyMessage(error) }];
  }
  if (!result.valid) return toDetails("schema", result.errors);
  return checkReferences(schema);
}

/**
 * Validates an event payload against its receiver's schema (already accepted by
 * checkSchemaDocument): one detail per violation, with paths under `payload`.
 */
export function validatePayload(schema: object, fingerprint: string, payload: unknown): ErrorDetail[] {
  let result: ReturnType<Validator["validate"]>;
  try {
    result = validatorFor(schema, fingerprint).validate(payload);
  } catch (error) {
    return [{ path: "payload", message: malformedKeyMessage(error) }];
  }
  return result.valid ? [] : toDetails("payload", result.errors);
}

// Most recently used last; a Map keeps insertion order, which makes it a small LRU.
const validators = new Map<string, Validator>();

/**
 * The compiled validator for a receiver schema, cached per isolate by its fingerprint: the
 * fingerprint covers the schema, so a hit never needs to look at `schema`.
 */
export function validatorFor(schema: object, fingerprint: string): Validator {
  const cached = validators.get(fingerprint);
  if (cached) {
    validators.delete(fingerprint);
    validators.set(fingerprint, cached);
    return cached;
  }
  const draft = draftOf(schema);
  if (draft === undefined) throw new Error("validatorFor: the schema names an unsupported $schema");
  // The library marks up the schema it compiles (non-enumerable URIs); keep the caller's copy clean.
  const validator = new Validator(structuredClone(schema) as Schema, draft, false);
  validators.set(fingerprint, validator);
  if (validators.size > VALIDATOR_CACHE_SIZE) {
    const oldest = validators.keys().next();
    if (!oldest.done) validators.delete(oldest.value);
  }
  return validator;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function draftOf(schema: object): SupportedDraft | undefined {
  const declared = (schema as { $schema?: unknown }).$schema;
  if (declared === undefined) return "2020-12";
  return typeof declared === "string" ? DRAFTS.get(declared) : undefined;
}

// encodeURI, which the library uses to build instance pointers, throws on a lone surrogate in a key.
function malformedKeyMessage(error: unknown): string {
  if (error instanceof URIError) return "A property name is not well-formed Unicode (lone surrogate).";
  throw error;
}

let metaValidators: Record<SupportedDraft, Validator> | undefined;

function metaValidator(draft: SupportedDraft): Validator {
  if (!metaValidators) {
    const v2020 = new Validator(toRecursiveRefs(META_2020_12), "2020-12", false);
    for (const vocabulary of META_2020_12_VOCABULARIES) v2020.addSchema(toRecursiveRefs(vocabulary));
    metaValidators = { "2020-12": v2020, "7": new Validator(META_DRAFT_07, "7", false) };
  }
  return metaValidators[draft];
}

/**
 * The library implements 2019-09's `$recursiveRef` but not 2020-12's `$dynamicRef` (its own test
 * suite lists "validate definition against metaschema" as unsupported), so the 2020-12 meta-schema
 * as published would check only the top level of a schema. Its `$dynamicRef: "#meta"` /
 * `$dynamicAnchor: "meta"` pair means exactly what 2019-09's `$recursiveRef: "#"` /
 * `$recursiveAnchor: true` does, so it is rewritten to that.
 */
function toRecursiveRefs(schema: Schema): Schema {
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (!isJsonObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (key === "$dynamicAnchor" && item === "meta") out.$recursiveAnchor = true;
      else if (key === "$dynamicRef" && item === "#meta") out.$recursiveRef = "#";
      else out[key] = rewrite(item);
    }
    return out;
  };
  return rewrite(schema) as Schema;
}

/**
 * What the meta-schema cannot see: `$ref`s must resolve inside the document (nothing is fetched),
 * and `$dynamicRef`, which the library would silently ignore, is refused rather than not enforced.
 */
function checkReferences(schema: Record<string, unknown>): ErrorDetail[] {
  const copy = structuredClone(schema) as Schema;
  let lookup: Record<string, Schema | boolean>;
  try {
    lookup = dereference(copy);
  } catch (error) {
    // e.g. two subschemas claiming the same $id.
    return [{ path: "schema", message: error instanceof Error ? error.message : String(error) }];
  }
  const details: ErrorDetail[] = [];
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) {
      for (const [index, item] of node.entries()) visit(item, `${path}.${index}`);
      return;
    }
    if (!isJsonObject(node)) return;
    // dereference() marks every subschema it registered with `__absolute_uri__`; objects inside
    // `enum`, `const`, `default`… are data, not schemas, and carry no mark.
    const marked = node as Schema;
    if (marked.__absolute_uri__ !== undefined) {
      if (typeof marked.$ref === "string" && lookup[marked.__absolute_ref__ ?? marked.$ref] === undefined) {
        details.push({
          path: `${path}.$ref`,
          message: `$ref "${marked.$ref}" does not resolve to a schema in this document; remote references are not supported.`,
        });
      }
      for (const keyword of ["$dynamicRef", "$dynamicAnchor"]) {
        if (Object.hasOwn(node, keyword)) {
          details.push({ path: `${path}.${keyword}`, message: `${keyword} is not supported; use $ref.` });
        }
      }
    }
    for (const [key, value] of Object.entries(node)) visit(value, `${path}.${key}`);
  };
  visit(copy, "schema");
  return details;
}

/** Errors that only announce that a subschema failed; that subschema's own errors follow them. */
const WRAPPER_KEYWORDS = new Set([
  "$ref",
  "$recursiveRef",
  "allOf",
  "if",
  "properties",
  "patternProperties",
  "additionalProperties",
  "unevaluatedProperties",
  "propertyNames",
  "dependentSchemas",
  "prefixItems",
  "items",
  "additionalItems",
  "unevaluatedItems",
]);
const OBJECT_APPLICATORS = new Set([
  "properties",
  "patternProperties",
  "additionalProperties",
  "unevaluatedProperties",
]);
const ARRAY_APPLICATORS = new Set(["prefixItems", "items", "additionalItems", "unevaluatedItems"]);
const MAX_REASONS = 5;

/**
 * The library reports, with shortCircuit off, a flat pre-order list: each wrapper ("A subschema had
 * errors.", "Property "x" does not match schema.") followed by the errors of its subschema, and for
 * anyOf/oneOf/contains a summary followed by the errors of every alternative it tried. A violation
 * is a leaf outside any failed alternative: wrappers go, and an alternative's errors become the
 * reasons of its summary.
 */
function toDetails(root: string, errors: OutputUnit[]): ErrorDetail[] {
  const locations = effectiveLocations(errors);
  const alternatives = errors.flatMap((error, index) => {
    const location = locations[index] ?? error.keywordLocation;
    if (error.keyword === "anyOf" || error.keyword === "oneOf") return [`${location}/`];
    if (error.keyword === "contains" || error.keyword === "minContains" || error.keyword === "maxContains") {
      return [`${location.slice(0, location.lastIndexOf("/"))}/contains/`];
    }
    return [];
  });
  const propertyNames = errors.flatMap((error, index) =>
    error.keyword === "propertyNames" ? [`${locations[index]}/`] : [],
  );
  const insideAlternative = (index: number) =>
    alternatives.some((prefix) => (locations[index] ?? "").startsWith(prefix));

  const details: ErrorDetail[] = [];
  const seen = new Set<string>();
  errors.forEach((error, index) => {
    if (isWrapper(errors, locations, index) || insideAlternative(index)) return;
    let message = messageFor(error, errors[index - 1]);
    if (error.keyword === "anyOf" || error.keyword === "oneOf") {
      message = withReasons(message, reasonsFor(errors, locations, index));
    }
    // Under propertyNames the instance is a key: say so, or the message reads as about its value.
    if (propertyNames.some((prefix) => (locations[index] ?? "").startsWith(prefix))) {
      const name = lastSegment(error.instanceLocation);
      message =
        error.keyword === "false"
          ? `Property name "${name}" is not allowed.`
          : `Property name "${name}" is invalid: ${message}`;
    }
    const detail = { path: toPath(root, error.instanceLocation), message };
    const key = `${detail.path}\n${detail.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    details.push(detail);
  });
  return details;
}

/**
 * The library gives a `false` subschema's error the instance location as its keywordLocation; such
 * an error always directly follows its parent, so it is placed under the parent's location instead.
 */
function effectiveLocations(errors: OutputUnit[]): string[] {
  const locations: string[] = [];
  errors.forEach((error, index) => {
    const previous = locations[index - 1];
    locations.push(
      error.keyword === "false" && previous !== undefined ? `${previous}/false` : error.keywordLocation,
    );
  });
  return locations;
}

function isWrapper(errors: OutputUnit[], locations: string[], index: number): boolean {
  const error = errors[index];
  if (!error) return false;
  if (WRAPPER_KEYWORDS.has(error.keyword)) return true;
  // `dependencies` is a leaf in its property-list form and a wrapper in its schema form.
  return (
    error.keyword === "dependencies" && (locations[index + 1] ?? "").startsWith(`${error.keywordLocation}/`)
  );
}

/** The leaf errors of each failed alternative of an anyOf/oneOf summary. */
function reasonsFor(errors: OutputUnit[], locations: string[], index: number): string[] {
  const summary = errors[index];
  const prefix = `${locations[index]}/`;
  // oneOf also fails when several alternatives match; the failing ones are then beside the point.
  if (!summary || /\(([1-9]\d*) matches\)/.test(summary.error)) return [];
  const reasons: string[] = [];
  for (let next = index + 1; next < errors.length && (locations[next] ?? "").startsWith(prefix); next++) {
    const error = errors[next];
    if (!error || isWrapper(errors, locations, next)) continue;
    const option = (locations[next] ?? "").slice(prefix.length).split("/")[0];
    const relative = toPath("", error.instanceLocation.slice(summary.instanceLocation.length)).slice(1);
    const where = relative ? ` at ${relative}` : "";
    reasons.push(`option ${option}${where}: ${withoutFullStop(messageFor(error, errors[next - 1]))}`);
  }
  return reasons;
}

function withReasons(message: string, reasons: string[]): string {
  if (reasons.length === 0) return message;
  const shown = reasons.slice(0, MAX_REASONS).join("; ");
  const more = reasons.length > MAX_REASONS ? `; and ${reasons.length - MAX_REASONS} more` : "";
  return `${withoutFullStop(message)} (${shown}${more}).`;
}

function withoutFullStop(message: string): string {
  return message.endsWith(".") ? message.slice(0, -1) : message;
}

/** The library's message, with its `false`-schema text made specific and two wrong texts corrected. */
function messageFor(error: OutputUnit, previous: OutputUnit | undefined): string {
  switch (error.keyword) {
    case "false": {
      const name = lastSegment(error.instanceLocation);
      if (previous && OBJECT_APPLICATORS.has(previous.keyword)) return `Property "${name}" is not allowed.`;
      if (previous && ARRAY_APPLICATORS.has(previous.keyword)) return `Item ${name} is not allowed.`;
      return "No value is allowed here.";
    }
    // The library says "does not have at least N" when there are more than N.
    case "maxProperties":
      return error.error.replace("does not have at least", "has more than");
    // The library says "less than" when the value equals the exclusive bound too.
    case "exclusiveMinimum":
      return error.error.replace("is less than", "is less than or equal to");
    default:
      return error.error;
  }
}

function pointerSegments(pointer: string): string[] {
  // Instance pointers are URI fragments: "#", then "/"-separated, RFC 6901-escaped, percent-encoded.
  return pointer
    .split("/")
    .slice(1)
    .map((segment) => decodeURIComponent(segment).replaceAll("~1", "/").replaceAll("~0", "~"));
}

function lastSegment(pointer: string): string {
  return pointerSegments(pointer).at(-1) ?? "";
}

function toPath(root: string, pointer: string): string {
  return [root, ...pointerSegments(pointer)].join(".");
}

// Meta-schemas. The library ships none (its own tests fetch them from json-schema.org), and a
// Worker should not fetch them at run time, so here they are, as published at the URIs in their
// `$id` (copied from json-schema-org/json-schema-spec, branches `2020-12` and `draft-07`).
const META_2020_12: Schema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://json-schema.org/draft/2020-12/schema",
  $vocabulary: {
    "https://json-schema.org/draft/2020-12/vocab/core": true,
    "https://json-schema.org/draft/2020-12/vocab/applicator": true,
    "https://json-schema.org/draft/2020-12/vocab/unevaluated": true,
    "https://json-schema.org/draft/2020-12/vocab/validation": true,
    "https://json-schema.org/draft/2020-12/vocab/meta-data": true,
    "https://json-schema.org/draft/2020-12/vocab/format-annotation": true,
    "https://json-schema.org/draft/2020-12/vocab/content": true,
  },
  $dynamicAnchor: "meta",
  title: "Core and Validation specifications meta-schema",
  allOf: [
    { $ref: "meta/core" },
    { $ref: "meta/applicator" },
    { $ref: "meta/unevaluated" },
    { $ref: "meta/validation" },
    { $ref: "meta/meta-data" },
    { $ref: "meta/format-annotation" },
    { $ref: "meta/content" },
  ],
  type: ["object", "boolean"],
  $comment:
    "This meta-schema also defines keywords that have appeared in previous drafts in order to prevent incompatible extensions as they remain in common use.",
  properties: {
    definitions: {
      $comment: '"definitions" has been replaced by "$defs".',
      type: "object",
      additionalProperties: { $dynamicRef: "#meta" },
      deprecated: true,
      default: {},
    },
    dependencies: {
      $comment:
        '"dependencies" has been split and replaced by "dependentSchemas" and "dependentRequired" in order to serve their differing semantics.',
      type: "object",
      additionalProperties: {
        anyOf: [{ $dynamicRef: "#meta" }, { $ref: "meta/validation#/$defs/stringArray" }],
      },
      deprecated: true,
      default: {},
    },
    $recursiveAnchor: {
      $comment: '"$recursiveAnchor" has been replaced by "$dynamicAnchor".',
      $ref: "meta/core#/$defs/anchorString",
      deprecated: true,
    },
    $recursiveRef: {
      $comment: '"$recursiveRef" has been replaced by "$dynamicRef".',
      $ref: "meta/core#/$defs/uriReferenceString",
      deprecated: true,
    },
  },
};

const META_2020_12_CORE: Schema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://json-schema.org/draft/2020-12/meta/core",
  $dynamicAnchor: "meta",
  title: "Core vocabulary meta-schema",
  type: ["object", "boolean"],
  properties: {
    $id: {
      $ref: "#/$defs/uriReferenceString",
      $comment: "Non-empty fragments not allowed.",
      pattern: "^[^#]*#?$",
    },
    $schema: { $ref: "#/$defs/uriString" },
    $ref: { $ref: "#/$defs/uriReferenceString" },
    $anchor: { $ref: "#/$defs/anchorString" },
    $dynamicRef: { $ref: "#/$defs/uriReferenceString" },
    $dynamicAnchor: { $ref: "#/$defs/anchorString" },
    $vocabulary: {
      type: "object",
      propertyNames: { $ref: "#/$defs/uriString" },
      additionalProperties: { type: "boolean" },
    },
    $comment: { type: "string" },
    $defs: { type: "object", additionalProperties: { $dynamicRef: "#meta" } },
  },
  $defs: {
    anchorString: { type: "string", pattern: "^[A-Za-z_][-A-Za-z0-9._]*$" },
    uriString: { type: "string", format: "uri" },
    uriReferenceString: { type: "string", format: "uri-reference" },
  },
};

const META_2020_12_APPLICATOR: Schema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://json-schema.org/draft/2020-12/meta/applicator",
  $dynamicAnchor: "meta",
  title: "Applicator vocabulary meta-schema",
  type: ["object", "boolean"],
  properties: {
    prefixItems: { $ref: "#/$defs/schemaArray" },
    items: { $dynamicRef: "#meta" },
    contains: { $dynamicRef: "#meta" },
    additionalProperties: { $dynamicRef: "#meta" },
    properties: { type: "object", additionalProperties: { $dynamicRef: "#meta" }, default: {} },
    patternProperties: {
      type: "object",
      additionalProperties: { $dynamicRef: "#meta" },
      propertyNames: { format: "regex" },
      default: {},
    },
    dependentSchemas: { type: "object", additionalProperties: { $dynamicRef: "#meta" }, default: {} },
    propertyNames: { $dynamicRef: "#meta" },
    if: { $dynamicRef: "#meta" },
    // biome-ignore lint/suspicious/noThenProperty: a JSON Schema keyword, in data never awaited.
    then: { $dynamicRef: "#meta" },
    else: { $dynamicRef: "#meta" },
    allOf: { $ref: "#/$defs/schemaArray" },
    anyOf: { $ref: "#/$defs/schemaArray" },
    oneOf: { $ref: "#/$defs/schemaArray" },
    not: { $dynamicRef: "#meta" },
  },
  $defs: { schemaArray: { type: "array", minItems: 1, items: { $dynamicRef: "#meta" } } },
};

const META_2020_12_UNEVALUATED: Schema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://json-schema.org/draft/2020-12/meta/unevaluated",
  $dynamicAnchor: "meta",
  title: "Unevaluated applicator vocabulary meta-schema",
  type: ["object", "boolean"],
  properties: { unevaluatedItems: { $dynamicRef: "#meta" }, unevaluatedProperties: { $dynamicRef: "#meta" } },
};

const META_2020_12_VALIDATION: Schema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://json-schema.org/draft/2020-12/meta/validation",
  $dynamicAnchor: "meta",
  title: "Validation vocabulary meta-schema",
  type: ["object", "boolean"],
  properties: {
    type: {
      anyOf: [
        { $ref: "#/$defs/simpleTypes" },
        { type: "array", items: { $ref: "#/$defs/simpleTypes" }, minItems: 1, uniqueItems: true },
      ],
    },
    const: true,
    enum: { type: "array", items: true },
    multipleOf: { type: "number", exclusiveMinimum: 0 },
    maximum: { type: "number" },
    exclusiveMaximum: { type: "number" },
    minimum: { type: "number" },
    exclusiveMinimum: { type: "number" },
    maxLength: { $ref: "#/$defs/nonNegativeInteger" },
    minLength: { $ref: "#/$defs/nonNegativeIntegerDefault0" },
    pattern: { type: "string", format: "regex" },
    maxItems: { $ref: "#/$defs/nonNegativeInteger" },
    minItems: { $ref: "#/$defs/nonNegativeIntegerDefault0" },
    uniqueItems: { type: "boolean", default: false },
    maxContains: { $ref: "#/$defs/nonNegativeInteger" },
    minContains: { $ref: "#/$defs/nonNegativeInteger", default: 1 },
    maxProperties: { $ref: "#/$defs/nonNegativeInteger" },
    minProperties: { $ref: "#/$defs/nonNegativeIntegerDefault0" },
    required: { $ref: "#/$defs/stringArray" },
    dependentRequired: { type: "object", additionalProperties: { $ref: "#/$defs/stringArray" } },
  },
  $defs: {
    nonNegativeInteger: { type: "integer", minimum: 0 },
    nonNegativeIntegerDefault0: { $ref: "#/$defs/nonNegativeInteger", default: 0 },
    simpleTypes: { enum: ["array", "boolean", "integer", "null", "number", "object", "string"] },
    stringArray: { type: "array", items: { type: "string" }, uniqueItems: true, default: [] },
  },
};

const META_2020_12_META_DATA: Schema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://json-schema.org/draft/2020-12/meta/meta-data",
  $dynamicAnchor: "meta",
  title: "Meta-data vocabulary meta-schema",
  type: ["object", "boolean"],
  properties: {
    title: { type: "string" },
    description: { type: "string" },
    default: true,
    deprecated: { type: "boolean", default: false },
    readOnly: { type: "boolean", default: false },
    writeOnly: { type: "boolean", default: false },
    examples: { type: "array", items: true },
  },
};

const META_2020_12_FORMAT_ANNOTATION: Schema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://json-schema.org/draft/2020-12/meta/format-annotation",
  $dynamicAnchor: "meta",
  title: "Format vocabulary meta-schema for annotation results",
  type: ["object", "boolean"],
  properties: { format: { type: "string" } },
};

const META_2020_12_CONTENT: Schema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://json-schema.org/draft/2020-12/meta/content",
  $dynamicAnchor: "meta",
  title: "Content vocabulary meta-schema",
  type: ["object", "boolean"],
  properties: {
    contentEncoding: { type: "string" },
    contentMediaType: { type: "string" },
    contentSchema: { $dynamicRef: "#meta" },
  },
};

const META_DRAFT_07: Schema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "http://json-schema.org/draft-07/schema#",
  title: "Core schema meta-schema",
  definitions: {
    schemaArray: { type: "array", minItems: 1, items: { $ref: "#" } },
    nonNegativeInteger: { type: "integer", minimum: 0 },
    nonNegativeIntegerDefault0: { allOf: [{ $ref: "#/definitions/nonNegativeInteger" }, { default: 0 }] },
    simpleTypes: { enum: ["array", "boolean", "integer", "null", "number", "object", "string"] },
    stringArray: { type: "array", items: { type: "string" }, uniqueItems: true, default: [] },
  },
  type: ["object", "boolean"],
  properties: {
    $id: { type: "string", format: "uri-reference" },
    $schema: { type: "string", format: "uri" },
    $ref: { type: "string", format: "uri-reference" },
    $comment: { type: "string" },
    title: { type: "string" },
    description: { type: "string" },
    default: true,
    readOnly: { type: "boolean", default: false },
    writeOnly: { type: "boolean", default: false },
    examples: { type: "array", items: true },
    multipleOf: { type: "number", exclusiveMinimum: 0 },
    maximum: { type: "number" },
    exclusiveMaximum: { type: "number" },
    minimum: { type: "number" },
    exclusiveMinimum: { type: "number" },
    maxLength: { $ref: "#/definitions/nonNegativeInteger" },
    minLength: { $ref: "#/definitions/nonNegativeIntegerDefault0" },
    pattern: { type: "string", format: "regex" },
    additionalItems: { $ref: "#" },
    items: { anyOf: [{ $ref: "#" }, { $ref: "#/definitions/schemaArray" }], default: true },
    maxItems: { $ref: "#/definitions/nonNegativeInteger" },
    minItems: { $ref: "#/definitions/nonNegativeIntegerDefault0" },
    uniqueItems: { type: "boolean", default: false },
    contains: { $ref: "#" },
    maxProperties: { $ref: "#/definitions/nonNegativeInteger" },
    minProperties: { $ref: "#/definitions/nonNegativeIntegerDefault0" },
    required: { $ref: "#/definitions/stringArray" },
    additionalProperties: { $ref: "#" },
    definitions: { type: "object", additionalProperties: { $ref: "#" }, default: {} },
    properties: { type: "object", additionalProperties: { $ref: "#" }, default: {} },
    patternProperties: {
      type: "object",
      additionalProperties: { $ref: "#" },
      propertyNames: { format: "regex" },
      default: {},
    },
    dependencies: {
      type: "object",
      additionalProperties: { anyOf: [{ $ref: "#" }, { $ref: "#/definitions/stringArray" }] },
    },
    propertyNames: { $ref: "#" },
    const: true,
    enum: { type: "array", items: true, minItems: 1, uniqueItems: true },
    type: {
      anyOf: [
        { $ref: "#/definitions/simpleTypes" },
        { type: "array", items: { $ref: "#/definitions/simpleTypes" }, minItems: 1, uniqueItems: true },
      ],
    },
    format: { type: "string" },
    contentMediaType: { type: "string" },
    contentEncoding: { type: "string" },
    if: { $ref: "#" },
    // biome-ignore lint/suspicious/noThenProperty: a JSON Schema keyword, in data never awaited.
    then: { $ref: "#" },
    else: { $ref: "#" },
    allOf: { $ref: "#/definitions/schemaArray" },
    anyOf: { $ref: "#/definitions/schemaArray" },
    oneOf: { $ref: "#/definitions/schemaArray" },
    not: { $ref: "#" },
  },
  default: true,
};

const META_2020_12_VOCABULARIES = [
  META_2020_12_CORE,
  META_2020_12_APPLICATOR,
  META_2020_12_UNEVALUATED,
  META_2020_12_VALIDATION,
  META_2020_12_META_DATA,
  META_2020_12_FORMAT_ANNOTATION,
  META_2020_12_CONTENT,
];
