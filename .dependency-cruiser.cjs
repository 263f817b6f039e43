// The walls between the layers of src/ (README "Layers"), checked by `npm run lint:layers` as part
// of `npm test`. Imports run down only, type imports included:
//   http     src/app.ts, src/index.ts, src/context.ts, src/middleware, src/routes
//   domain   src/domain, src/jobs
//   adapters src/db, src/infra, src/durable
//   leaves   src/contracts and src/env.ts (shared contracts and types), src/lib (pure helpers)
// The layer that uses an interface owns it: an adapter satisfies it by its shape, never by
// importing it.
const HTTP = "^src/(app|index|context)\\.ts$|^src/(middleware|routes)/";
const DOMAIN = "^src/(domain|jobs)/";
const ADAPTERS = "^src/(db|infra|durable)/";
const CONTRACTS = "^src/contracts/|^src/env\\.ts$";
const LIB = "^src/lib/";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment: "Files of src/ may not import each other in a circle (type imports included).",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "lib-is-a-leaf",
      severity: "error",
      comment: "src/lib holds pure helpers: it imports nothing of the app outside src/lib.",
      from: { path: LIB },
      to: { path: "^src/", pathNot: LIB },
    },
    {
      name: "contracts-are-a-leaf",
      severity: "error",
      comment: "Shared contracts and types (src/contracts, src/env.ts) import only each other and src/lib.",
      from: { path: CONTRACTS },
      to: { path: "^src/", pathNot: `${CONTRACTS}|${LIB}` },
    },
    {
      name: "adapters-do-not-import-up",
      severity: "error",
      comment: "Adapters (db, infra, durable) import only adapters, contracts and lib: never domain or http.",
      from: { path: ADAPTERS },
      to: { path: `${DOMAIN}|${HTTP}` },
    },
    {
      name: "domain-does-not-import-http",
      severity: "error",
      comment: "Services (domain, jobs) never see HTTP: no import of app, context, middleware or routes.",
      from: { path: DOMAIN },
      to: { path: HTTP },
    },
    {
      name: "tests-are-not-imported",
      severity: "error",
      comment: "Nothing in src/ imports a test or a test helper.",
      from: { path: "^src/" },
      to: { path: "^test/|\\.test\\.ts$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Type-only imports count: a wall that types may climb is no wall.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "\\.test\\.ts$" },
  },
};
