// The JSON and Time scalars (API.md "GraphQL"). A JSON input goes through the same guard as a
// REST body (src/lib/json-guard.ts): what is accepted is what is stored, nothing is altered.
import { GraphQLError, Kind, type ValueNode } from "graphql";
import { guardJson, JsonGuardError } from "../../../lib/json-guard";

function invalid(message: string, path = ""): GraphQLError {
  return new GraphQLError(path ? `${message} (at ${path})` : message, {
    extensions: { code: "VALIDATION_FAILED" },
  });
}

/** JSON text → its value, refused as the REST body guard refuses it. */
function fromJsonText(text: string): unknown {
  try {
    guardJson(text);
  } catch (error) {
    if (error instanceof JsonGuardError) throw invalid(error.message, error.path);
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw invalid("A JSON string must hold JSON text.");
  }
}

/**
 * A literal of the query as JSON text, so that it meets the same guard as any JSON the API takes
 * (depth, `__proto__`, numbers a double would alter). GraphQL's number syntax is JSON's.
 */
function literalText(node: ValueNode, variables: Record<string, unknown> | null | undefined): string {
  switch (node.kind) {
    case Kind.OBJECT:
      return `{${node.fields.map((field) => `${JSON.stringify(field.name.value)}:${literalText(field.value, variables)}`).join(",")}}`;
    case Kind.LIST:
      return `[${node.values.map((value) => literalText(value, variables)).join(",")}]`;
    case Kind.STRING:
      return JSON.stringify(node.value);
    case Kind.INT:
    case Kind.FLOAT:
      return node.value;
    case Kind.BOOLEAN:
      return String(node.value);
    case Kind.NULL:
      return "null";
    case Kind.VARIABLE:
      return JSON.stringify(variables?.[node.name.value] ?? null);
    case Kind.ENUM:
      throw invalid(`${node.value} is not a JSON value.`);
  }
}

export const jsonScalar = {
  serialize: (value: unknown) => value,
  parseValue: (value: unknown) => (typeof value === "string" ? fromJsonText(value) : value),
  parseLiteral: (node: ValueNode, variables?: Record<string, unknown> | null) =>
    // A string literal is JSON text, as a string variable is; any other literal is the value.
    node.kind === Kind.STRING ? fromJsonText(node.value) : fromJsonText(literalText(node, variables)),
};

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function parseTime(value: unknown): Date {
  const time = typeof value === "string" && RFC3339.test(value) ? new Date(value) : undefined;
  if (!time || Number.isNaN(time.getTime())) throw invalid("A Time is an RFC 3339 date-time with an offset.");
  return time;
}

export const timeScalar = {
  serialize: (value: unknown) => (value instanceof Date ? value.toISOString() : value),
  parseValue: parseTime,
  parseLiteral: (node: ValueNode) => parseTime(node.kind === Kind.STRING ? node.value : undefined),
};
