// The executable schema: the SDL of ./sdl.ts with the resolvers and scalars bound to it, built
// once per isolate, on the first GraphQL request.
import {
  buildSchema,
  type GraphQLFieldResolver,
  GraphQLObjectType,
  GraphQLScalarType,
  type GraphQLSchema,
} from "graphql";
import { resolvers } from "./resolvers";
import { jsonScalar, timeScalar } from "./scalars";
import { typeDefs } from "./sdl";

const scalars = { JSON: jsonScalar, Time: timeScalar };

function bind(schema: GraphQLSchema): GraphQLSchema {
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (!(type instanceof GraphQLObjectType))
      throw new Error(`resolvers for ${typeName}, which is no object type`);
    const defined = type.getFields();
    for (const [fieldName, resolve] of Object.entries(fields)) {
      const field = defined[fieldName];
      if (!field) throw new Error(`a resolver for ${typeName}.${fieldName}, which the schema lacks`);
      field.resolve = resolve as GraphQLFieldResolver<unknown, unknown>;
    }
  }
  for (const [name, behaviour] of Object.entries(scalars)) {
    const type = schema.getType(name);
    if (!(type instanceof GraphQLScalarType)) throw new Error(`no scalar ${name} in the schema`);
    Object.assign(type, behaviour);
  }
  return schema;
}

let built: GraphQLSchema | undefined;

export function executableSchema(): GraphQLSchema {
  built ??= bind(buildSchema(typeDefs));
  return built;
}
