// PostGraphile 5 with @graphile/pg-aggregates over the `bench` schema of the database in
// DATABASE_URL (the view bench/impact/view.sql makes there), listening on 127.0.0.1:${PORT:-5679}.
// The peer of bench/impact.sh. Run with:
//   node_modules/.bin/node node_modules/.bin/postgraphile -C aggregates.config.mjs
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { PgAggregatesPreset } from "@graphile/pg-aggregates";

// pg-aggregates truncates timestamps to the hour or day only; the records' periods end on dates,
// and figures are grouped by month, so this adds month truncation the same way it adds its own.
const GroupByMonthPlugin = {
  name: "GroupByMonthPlugin",
  version: "0.0.0",
  after: ["PgAggregatesSpecsPlugin"],
  schema: {
    hooks: {
      build(build) {
        const { sql, dataplanPg: { TYPES } } = build;
        build.pgAggregateGroupBySpecs.push({
          id: "truncated-to-month",
          isSuitableType: (codec) => codec === TYPES.date,
          sqlWrap: (frag) => sql`date_trunc('month', ${frag})::date`,
          sqlWrapCodec: () => TYPES.date,
        });
        return build;
      },
    },
  },
};

export default {
  extends: [PostGraphileAmberPreset, PgAggregatesPreset],
  plugins: [GroupByMonthPlugin],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/b2h_bench_read",
      schemas: ["bench"],
    }),
  ],
  grafserv: { port: Number(process.env.PORT ?? 5679), host: "127.0.0.1" },
};
