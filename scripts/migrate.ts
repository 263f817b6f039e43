// `npm run db:migrate`: applies the migrations in drizzle/ to DATABASE_URL.
import { migrateDatabase } from "./lib/database";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error(
    "DATABASE_URL is not set. Example: DATABASE_URL=postgres://user:pass@host/db npm run db:migrate",
  );
  process.exit(2);
}
await migrateDatabase(url);
console.log("migrations applied");
