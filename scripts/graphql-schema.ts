// `npm run graphql:schema`: writes schema.graphql, the GraphQL schema as the service serves it
// (test/routes/graphql.test.ts fails when the two differ).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildSchema, printSchema } from "graphql";
import { typeDefs } from "../src/routes/graphql/schema/sdl";

const file = join(import.meta.dirname, "..", "schema.graphql");
writeFileSync(file, `${printSchema(buildSchema(typeDefs))}\n`);
console.log(`wrote ${file}`);
