//! The snapshot's README.md: every table and column explained, and how to load them.

use crate::manifest::Manifest;
use std::fmt::Write as _;

pub fn render(manifest: &Manifest) -> String {
    let mut md = String::new();
    let id = &manifest.snapshot_id;
    let _ = writeln!(md, "# Back to Health data snapshot {id}\n");
    let _ = writeln!(
        md,
        "Read from {} at {} (database schema {}), export schema version {}.\n",
        manifest.source,
        manifest.created_at.to_rfc3339(),
        manifest.source_migration.as_deref().unwrap_or("unknown"),
        manifest.schema_version
    );
    let _ = writeln!(md, "**{}**\n", manifest.notice);
    md.push_str(concat!(
        "Every table is Parquet (zstd, statistics and page index). Ids are UUIDs as lower-case ",
        "text; dates are `date32`; times are microseconds in UTC; money is `decimal128(18, 2)` ",
        "beside its currency; categorical text is dictionary-encoded (a category in pandas and ",
        "polars). `outcome_records` and `fact_outcomes` are split into `year=YYYY` folders by the ",
        "year of `period_end` (hive partitioning). `manifest.json` lists every file with its rows, ",
        "bytes and SHA-256.\n\n",
        "## Loading\n\n",
        "```python\n",
        "import pandas as pd, polars as pl, duckdb\n",
        "snap = \"snapshots/",
    ));
    let _ = write!(md, "{id}");
    md.push_str(concat!(
        "\"  # or: open(\"latest\").read()\n",
        "projects = pd.read_parquet(f\"{snap}/projects.parquet\")\n",
        "facts = pd.read_parquet(f\"{snap}/fact_outcomes\")\n",
        "facts = pl.read_parquet(f\"{snap}/fact_outcomes/**/*.parquet\", hive_partitioning=True)\n",
        "duckdb.sql(f\"SELECT measure_code, sum(value) FROM read_parquet('{snap}/fact_outcomes/*/*.parquet', hive_partitioning=true) WHERE counted GROUP BY 1\")\n",
        "```\n\n",
        "## Adding figures up\n\n",
        "Use only `counted` records (status submitted or verified). Then by the measure's ",
        "`aggregation`: `sum` values are added; for `latest` take, per project, the value of the ",
        "record with the latest `period_end` in the period asked about and add those over projects; ",
        "`weighted_mean` values are averaged weighted by `sample_size`. People supported toward the ",
        "campaign target are the sum of the `counts_toward_target` measures.\n\n",
        "## Tables\n\n",
    ));
    for table in &manifest.tables {
        let _ = writeln!(md, "### {}\n\n{}\n", table.name, table.description);
        let layout = match &table.partitioned_by {
            Some(p) => format!(
                "`{}/year=YYYY/part-NNNNN.parquet`, partitioned by {p}",
                table.name
            ),
            None => format!("`{}.parquet`", table.name),
        };
        let _ = writeln!(
            md,
            "{} rows in {} file(s): {layout}.{}\n",
            table.rows,
            table.files.len(),
            if table.sorted_by.is_empty() {
                String::new()
            } else {
                format!(" Sorted by {}.", table.sorted_by.join(", "))
            }
        );
        md.push_str("| column | type | nullable | description |\n| --- | --- | --- | --- |\n");
        for c in &table.columns {
            let _ = writeln!(
                md,
                "| `{}` | `{}` | {} | {} |",
                c.name,
                c.data_type,
                if c.nullable { "yes" } else { "no" },
                c.description.replace('|', "\\|")
            );
        }
        md.push('\n');
    }
    md
}
