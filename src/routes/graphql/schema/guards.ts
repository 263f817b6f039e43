// The guards: a document past one of them is refused before anything runs, with a stable code in
// `extensions.code`, counted in xzepr_graphql_complexity_violations_total{rule}. Tokens are counted
// by graphql-js's parser (`maxTokens`), depth, aliases and directives by GraphQL Armor's rules,
// cost by graphql-query-complexity with this schema's weights; batches are refused by the route.
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesRule } from "@escape.tech/graphql-armor-max-directives";
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  getNamedType,
  isListType,
  isNonNullType,
  isObjectType,
  NoSchemaIntrospectionCustomRule,
  specifiedRules,
  type ValidationContext,
  type ValidationRule,
  validate,
} from "graphql";
import { type ComplexityEstimatorArgs, createComplexityRule } from "graphql-query-complexity";
import type { Config } from "../../../env";
import { EPR_LIST_LIMIT } from "./resolvers";

export const LIMITS = { depth: 10, cost: 1000, aliases: 30, directives: 20, tokens: 2000 } as const;

/** Introspection: on outside production; in production only when GRAPHQL_INTROSPECTION=on. */
export const introspectionAllowed = (config: Pick<Config, "ENVIRONMENT" | "GRAPHQL_INTROSPECTION">) =>
  config.ENVIRONMENT !== "production" || config.GRAPHQL_INTROSPECTION === "on";

export type GuardRule = "depth" | "cost" | "aliases" | "tokens" | "directives" | "batch";

export const GUARD_CODES = {
  depth: "DEPTH_LIMIT_EXCEEDED",
  cost: "COST_LIMIT_EXCEEDED",
  aliases: "ALIAS_LIMIT_EXCEEDED",
  tokens: "TOKEN_LIMIT_EXCEEDED",
  directives: "DIRECTIVE_LIMIT_EXCEEDED",
  batch: "BATCH_NOT_SUPPORTED",
} as const satisfies Record<GuardRule, string>;

/**
 * What a query costs: the objects it may return. A list weighs its page size (`first`, the most an
 * EPR list returns, or the weight below) times what each item costs; scalars and the connection
 * wrappers (edges, pageInfo) are free. Introspection's lists weigh a few each, so that the usual
 * introspection query passes while one that nests `fields { type { fields …` multiplies past the
 * limit (its depth is not counted: Armor's depth rule skips `__schema`).
 */
const WRAPPERS = /(Connection|Edge)$|^PageInfo$/;
const LIST_WEIGHTS: Record<string, number> = {
  "Query.events": EPR_LIST_LIMIT,
  "Query.event_receivers": EPR_LIST_LIMIT,
  "Query.event_receiver_groups": EPR_LIST_LIMIT,
  // A group has at most 100 members; most have a few.
  "EventReceiverGroup.receivers": 20,
};
const INTROSPECTION_LIST_WEIGHT = 3;

function isList(args: ComplexityEstimatorArgs): boolean {
  const type = args.field.type;
  return isListType(isNonNullType(type) ? type.ofType : type);
}

function estimateCost(args: ComplexityEstimatorArgs): number {
  const { type, field, childComplexity } = args;
  const named = getNamedType(field.type);
  const own = isObjectType(named) && !WRAPPERS.test(named.name) ? 1 : 0;
  const first = typeof args.args.first === "number" ? args.args.first : undefined;
  const introspected = type.name.startsWith("__") && isList(args);
  const weight =
    first ?? LIST_WEIGHTS[`${type.name}.${field.name}`] ?? (introspected ? INTROSPECTION_LIST_WEIGHT : 1);
  return weight * (own + childComplexity);
}

/** A guard's refusal: its code, the rule counted, the library's message without "Syntax Error: ". */
function refusal(rule: GuardRule, message: string): GraphQLError {
  return new GraphQLError(message.replace(/^Syntax Error: /, ""), {
    extensions: { code: GUARD_CODES[rule] },
  });
}

const reporting =
  (rule: GuardRule, counted: Set<GuardRule>) =>
  (context: ValidationContext | null, error: GraphQLError): void => {
    counted.add(rule);
    context?.reportError(refusal(rule, error.message));
  };

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A string value PostgreSQL cannot store (NUL, a lone surrogate) is refused, as in a JSON body. */
const storableStrings: ValidationRule = (context) => ({
  StringValue(node) {
    if (node.value.includes("\u0000") || LONE_SURROGATE.test(node.value)) {
      context.reportError(
        new GraphQLError("A string must not contain U+0000 (NUL) or a lone surrogate.", {
          nodes: node,
          extensions: { code: "VALIDATION_FAILED" },
        }),
      );
    }
  },
});

export interface Verdict {
  errors: readonly GraphQLError[];
  /** The guards that refused the document, to be counted once each. */
  violated: GuardRule[];
}

/**
 * The document's validation errors: GraphQL's own rules first (a fragment cycle is refused there,
 * before a guard walks it), then the guards. Every error carries a code.
 */
export function checkDocument(
  schema: GraphQLSchema,
  document: DocumentNode,
  options: { variables: Record<string, unknown>; operationName: string | undefined; introspection: boolean },
): Verdict {
  const own = [
    ...specifiedRules,
    storableStrings,
    ...(options.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ];
  const violated = new Set<GuardRule>();
  let errors = validate(schema, document, own);
  if (errors.length === 0) {
    const armor = (rule: GuardRule) => ({
      propagateOnRejection: false,
      onReject: [reporting(rule, violated)],
    });
    errors = validate(schema, document, [
      maxDepthRule({ n: LIMITS.depth, ...armor("depth") }),
      maxAliasesRule({ n: LIMITS.aliases, ...armor("aliases") }),
      maxDirectivesRule({ n: LIMITS.directives, ...armor("directives") }),
      createComplexityRule({
        maximumComplexity: LIMITS.cost,
        variables: options.variables,
        ...(options.operationName ? { operationName: options.operationName } : {}),
        estimators: [estimateCost],
        createError: (max, actual) => {
          violated.add("cost");
          return refusal("cost", `The query costs ${actual}; at most ${max} is allowed.`);
        },
      }),
    ]);
  }
  return { errors: errors.map(withCode), violated: [...violated] };
}

/**
 * A validation error's code: its own, VALIDATION_FAILED for variables that do not coerce (the cost
 * rule reads them, so they fail here rather than at execution), else GRAPHQL_VALIDATION_FAILED.
 */
function withCode(error: GraphQLError): GraphQLError {
  if (typeof error.extensions.code === "string") return error;
  const code = error.message.startsWith('Variable "$') ? "VALIDATION_FAILED" : "GRAPHQL_VALIDATION_FAILED";
  return new GraphQLError(error.message, { nodes: error.nodes ?? null, extensions: { code } });
}
