// Receiver schemas: is a schema itself valid JSON Schema (2020-12 or 7), and does a payload satisfy it.
import { dereference, type Schema, type SchemaDraft, Validator } from "@cfworker/json-schema";
import type { ErrorDetail } from "../lib/errors";
// The meta-schemas as published at the URIs in their `$id` (json-schema-org/json-schema-spec,
// branches `2020-12` and `draft-07`): the library ships none (its own tests fetch them), and a
// Worker should not fetch them at run time.
import DRAFT_07 from "./meta-schemas/draft-07.json";
import DRAFT_2020_12 from "./meta-schemas/draft-2020-12.json";
import DRAFT_2020_12_VOCABULARIES from "./meta-schemas/draft-2020-12-vocabularies.json";
import { toDetails } from "./schema-errors";

const META_2020_12 = DRAFT_2020_12 as Schema;
// JSON modules are typed by their values; these are schemas.
const META_2020_12_VOCABULARIES = DRAFT_2020_12_VOCABULARIES as unknown as Schema[];
const META_DRAFT_07 = DRAFT_07 as Schema;

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
  const paths = new Map<object, string>();
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
      paths.set(node, path);
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
  if (details.length > 0) return details;
  const cycle = inPlaceCycle(paths, (ref) => lookup[ref]);
  return cycle === undefined
    ? []
    : [
        {
          path: cycle,
          message:
            "This schema refers back to itself without descending into the payload ($ref, allOf, anyOf, oneOf, not, if/then/else or dependentSchemas), so no payload could ever be checked against it.",
        },
      ];
}

/** Keywords whose subschemas apply to the same instance as their parent schema. */
const IN_PLACE_LISTS = ["allOf", "anyOf", "oneOf"] as const;
const IN_PLACE_SINGLES = ["not", "if", "then", "else"] as const;

/**
 * The path of a schema that reaches itself again through references and in-place applicators
 * only (`{"$ref": "#"}`): validating any payload against it would never end. Recursion through
 * `properties`, `items` and the like descends into the payload, whose depth is capped, and is fine.
 */
function inPlaceCycle(
  paths: Map<object, string>,
  resolve: (ref: string) => Schema | boolean | undefined,
): string | undefined {
  const next = (node: Schema): Schema[] => {
    const out: unknown[] = [];
    if (typeof node.$ref === "string") out.push(resolve(node.__absolute_ref__ ?? node.$ref));
    for (const key of IN_PLACE_LISTS) if (Array.isArray(node[key])) out.push(...(node[key] as unknown[]));
    for (const key of IN_PLACE_SINGLES) out.push(node[key]);
    if (isJsonObject(node.dependentSchemas)) out.push(...Object.values(node.dependentSchemas));
    return out.filter(isJsonObject) as Schema[];
  };
  // Iterative depth-first search: 1 = on the current path, 2 = done.
  const state = new Map<Schema, 1 | 2>();
  for (const start of paths.keys()) {
    if (state.has(start as Schema)) continue;
    const stack: { node: Schema; children: Schema[] }[] = [
      { node: start as Schema, children: next(start as Schema) },
    ];
    state.set(start as Schema, 1);
    while (stack.length > 0) {
      const top = stack.at(-1) as { node: Schema; children: Schema[] };
      const child = top.children.pop();
      if (child === undefined) {
        state.set(top.node, 2);
        stack.pop();
        continue;
      }
      const seen = state.get(child);
      if (seen === 1) return paths.get(child) ?? "schema";
      if (seen === undefined) {
        state.set(child, 1);
        stack.push({ node: child, children: next(child) });
      }
    }
  }
  return undefined;
}
