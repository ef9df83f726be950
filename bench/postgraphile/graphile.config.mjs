// PostGraphile 5 over the b2h PostgreSQL database named by DATABASE_URL, listening on
// 127.0.0.1:${PORT:-5678}. Run with: node_modules/.bin/node node_modules/.bin/postgraphile -C graphile.config.mjs
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";

export default {
  extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/b2h_bench",
      schemas: ["public"],
    }),
  ],
  // Filters through relations (shape (g) of bench/read-api.sh).
  schema: { connectionFilterRelations: true },
  grafserv: { port: Number(process.env.PORT ?? 5678), host: "127.0.0.1" },
};
